import { z } from 'zod';
import { AnswerSchema, AskRequestSchema, CitationSchema, FeedbackRequestSchema } from '../answer/schema.ts';
import { PlainRequestSchema, PlainResponseSchema, SuggestRequestSchema, SuggestResponseSchema } from '../staff/schema.ts';
import { PrecheckReportSchema } from '../precheck/schema.ts';

/** The OpenAPI document, generated from the same zod schemas the routes validate with. */
export function openApiDocument() {
  const schema = (s: z.ZodType) => z.toJSONSchema(s, { target: 'openapi-3.0', unrepresentable: 'any' });
  const error = {
    type: 'object',
    properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
  };
  const json = (ref: string) => ({ content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
  const errors = {
    '400': { description: '请求无效', ...json('Error') },
    '404': { description: '未找到', ...json('Error') },
    '413': { description: '请求过大', ...json('Error') },
    '429': { description: '请求过于频繁', ...json('Error') },
  };
  const hit = { type: 'object', properties: { matterId: { type: 'string' }, name: { type: 'string' }, section: { type: 'string' }, score: { type: 'number' }, text: { type: 'string' } } };
  return {
    openapi: '3.0.3',
    info: { title: '汇办 Huiban API', version: '0.1.0', description: '徐汇区一网通办智能助手。内容摘自办事指南，以一网通办官方指南为准。' },
    paths: {
      '/healthz': { get: { summary: '健康检查', responses: { '200': { description: 'OK' } } } },
      '/api/search': {
        get: {
          summary: '检索事项',
          parameters: [
            { name: 'q', in: 'query', required: true, schema: { type: 'string', maxLength: 200 } },
            { name: 'k', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50, default: 5 } },
            { name: 'audience', in: 'query', schema: { type: 'string', enum: ['个人', '法人'] } },
          ],
          responses: { '200': { description: '命中', content: { 'application/json': { schema: { type: 'object', properties: { hits: { type: 'array', items: hit } } } } } }, ...errors },
        },
      },
      '/api/matters': { get: { summary: '事项列表', responses: { '200': { description: '{items, total}' }, ...errors } } },
      '/api/matters/{id}': { get: { summary: '事项指南', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: '指南及章节' }, ...errors } } },
      '/api/ask': { post: { summary: '提问', requestBody: { required: true, ...json('AskRequest') }, responses: { '200': { description: '回答', ...json('Answer') }, ...errors } } },
      '/api/chat': {
        post: {
          summary: '对话（AI SDK v5 UI message stream：text-delta、每条引用一个 source-url、最后一个 data-answer）',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' }, messages: { type: 'array' } } } } } },
          responses: { '200': { description: 'text/event-stream' }, ...errors },
        },
      },
      '/api/precheck': {
        post: {
          summary: '材料预审：上传材料，对照事项的申请材料清单逐项检查（齐全、缺少、需修改、免于提交、视情形）',
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['matterId', 'files'],
                  properties: {
                    matterId: { type: 'string' },
                    files: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'PDF、DOCX、图片（JPG/PNG）或文本；按内容识别类型' },
                    audience: { type: 'string', enum: ['个人', '法人'] },
                    situations: { type: 'string', description: '适用情形的视情形材料序号（从 1 开始）的 JSON 数组，如 [5,6]' },
                  },
                },
              },
            },
          },
          responses: {
            '200': { description: '预审报告', ...json('PrecheckReport') },
            '404': errors['404'],
            '413': { description: '文件过多或过大', ...json('Error') },
            '415': { description: '不是 multipart/form-data', ...json('Error') },
            '422': { description: '缺少事项或文件，或 situations 无效', ...json('Error') },
            '503': { description: '预审排队已满', ...json('Error') },
          },
        },
      },
      '/api/feedback': { post: { summary: '评价回答', requestBody: { required: true, ...json('FeedbackRequest') }, responses: { '200': { description: '{ok: true}' }, ...errors } } },
      '/api/suggest': {
        post: {
          summary: '工作人员：根据群众留言生成建议答复（简洁、分步、追问），附引用（需 Authorization: Bearer STAFF_TOKEN）',
          security: [{ staffToken: [] }],
          requestBody: { required: true, ...json('SuggestRequest') },
          responses: { '200': { description: '建议答复', ...json('SuggestResponse') }, '401': { description: '未登录或口令错误', ...json('Error') }, '403': { description: '未配置 STAFF_TOKEN', ...json('Error') }, ...errors },
        },
      },
      '/api/suggest/plain': {
        post: {
          summary: '工作人员：把答复改写成通俗说法（术语表；配置大模型时由模型改写并核对事实）',
          security: [{ staffToken: [] }],
          requestBody: { required: true, ...json('PlainRequest') },
          responses: { '200': { description: '改写结果', ...json('PlainResponse') }, '401': { description: '未登录或口令错误', ...json('Error') }, '403': { description: '未配置 STAFF_TOKEN', ...json('Error') }, ...errors },
        },
      },
    },
    components: {
      securitySchemes: { staffToken: { type: 'http', scheme: 'bearer', description: 'STAFF_TOKEN（工作人员口令）' } },
      schemas: {
        AskRequest: schema(AskRequestSchema),
        Answer: schema(AnswerSchema),
        Citation: schema(CitationSchema),
        FeedbackRequest: schema(FeedbackRequestSchema),
        SuggestRequest: schema(SuggestRequestSchema),
        SuggestResponse: schema(SuggestResponseSchema),
        PlainRequest: schema(PlainRequestSchema),
        PlainResponse: schema(PlainResponseSchema),
        PrecheckReport: schema(PrecheckReportSchema),
        Error: error,
      },
    },
  };
}
