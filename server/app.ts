import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import { AUDIENCES } from '../ingest/guideSchema.ts';
import { guideSections } from '../ingest/sections.ts';
import type { LanguageModel } from 'ai';
import { modelFromConfig } from './answer/llm/provider.ts';
import { AnswerPipeline } from './answer/pipeline.ts';
import { AnswerService } from './answer/service.ts';
import type { Config } from './config.ts';
import { ApiError, badRequest, errorBody, matterNotFound } from './errors.ts';
import { rateLimit } from './middleware/rateLimit.ts';
import type { LoadedIndex } from './retrieval/loadIndex.ts';
import { Retriever } from './retrieval/retrieve.ts';
import { answerRoutes } from './routes/answers.ts';
import { openApiDocument } from './routes/openapi.ts';
import { pageRoutes } from './routes/pages.ts';
import { staffRoutes } from './routes/staff.ts';
import { widgetRoutes } from './routes/widget.ts';
import { precheckRoutes } from './routes/precheck.ts';
import { Prechecker } from './precheck/precheck.ts';
import type { Store } from './storage/store.ts';

export interface AppDeps {
  config: Config;
  index: LoadedIndex;
  /** Conversations, answers, feedback, audit; without it answers still work and feedback is refused (503). */
  store?: Store;
  /** A language model (tests pass a mock); default: the one LLM_BASE_URL/LLM_MODEL configure, if any. */
  llm?: LanguageModel;
  /** The material pre-check (tests pass one with a fixed date); default: one with PRECHECK_CONCURRENCY slots. */
  prechecker?: Prechecker;
}

const SearchQuery = z.object({
  q: z.string({ message: '请输入要查询的内容' }).trim().min(1, '请输入要查询的内容').max(200, '查询内容过长，请精简到200字以内'),
  k: z.coerce.number().int().min(1, 'k 须在 1 到 50 之间').max(50, 'k 须在 1 到 50 之间').default(5),
  audience: z.enum(AUDIENCES, { message: 'audience 只能是“个人”或“法人”' }).optional(),
});

const MattersQuery = z.object({
  q: z.string().trim().max(200, '查询内容过长，请精简到200字以内').optional(),
  department: z.string().trim().optional(),
  audience: z.enum(AUDIENCES, { message: 'audience 只能是“个人”或“法人”' }).optional(),
  page: z.coerce.number().int().min(1, 'page 须为正整数').default(1),
  pageSize: z.coerce.number().int().min(1).max(100, 'pageSize 不能超过100').default(20),
});

/** Parses query parameters with a schema; the first problem becomes a 400 in Chinese. */
function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> {
  const r = schema.safeParse(query);
  if (!r.success) throw badRequest('invalid_query', r.error.issues[0].message);
  return r.data;
}

/** The HTTP service (routes and middleware; loading, storage and configuration are passed in). */
export function createApp({ index, config, store, llm, prechecker }: AppDeps) {
  const retriever = new Retriever(index, undefined, config.RETRIEVAL_MODE);
  const model = llm ?? modelFromConfig(config);
  const pipeline = new AnswerPipeline(index, retriever, undefined, model ? { model, timeoutMs: config.LLM_TIMEOUT_MS } : undefined);
  const service = new AnswerService(pipeline, store);
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(errorBody(err.code, err.message), err.status);
    // Only the error's name and the path: never the request body, which may hold personal data.
    console.error(`[error] ${c.req.method} ${new URL(c.req.url).pathname}: ${err.name}`);
    return c.json(errorBody('internal_error', '服务暂时出现问题，请稍后再试或拨打12345市民服务热线。'), 500);
  });
  app.notFound((c) => c.json(errorBody('not_found', '没有找到这个地址。'), 404));

  // Widgets embedded on other sites call the API: CORS for the configured origins only.
  if (config.ALLOWED_ORIGINS.length) {
    app.use('/api/*', cors({ origin: config.ALLOWED_ORIGINS, allowMethods: ['GET', 'POST', 'OPTIONS'], allowHeaders: ['Content-Type', 'Authorization'], maxAge: 600 }));
  }
  // Uploads have their own, larger limit (routes/precheck.ts).
  const maxBody = config.MAX_BODY_KB * 1024;
  const tooLarge = (c: Context) => c.json(errorBody('body_too_large', `请求内容过大（上限 ${config.MAX_BODY_KB} KB），请精简后再试。`), 413);
  const jsonLimit = bodyLimit({ maxSize: maxBody, onError: tooLarge });
  app.use('/api/*', async (c, next) => {
    if (c.req.path === '/api/precheck' || c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    // With a Content-Length (every browser and widget request), the header decides, as in Hono's bodyLimit
    // (node's HTTP parser never reads past it). Hono's bodyLimit would first look at `c.req.raw.body`, which
    // makes @hono/node-server build a web Request and stream the body through it; without that, the
    // handler's c.req.json() reads the body directly (ADR 9: ~0.1 ms less per request). Chunked bodies
    // (no Content-Length) are counted by bodyLimit.
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) return Number(length) > maxBody ? tooLarge(c) : next();
    return jsonLimit(c, next);
  });
  app.use('/api/*', rateLimit({ perMinute: config.RATE_LIMIT_PER_MIN, exempt: config.RATE_LIMIT_EXEMPT, trustProxy: config.TRUST_PROXY }));

  app.get('/healthz', (c) =>
    c.json({ ok: true, matters: index.guides.length, docs: index.docs.length, chunks: index.chunks.length, builtAt: index.manifest.builtAt }),
  );
  app.get('/openapi.json', (c) => c.json(openApiDocument()));

  app.get('/api/search', async (c) => {
    const { q, k, audience } = parseQuery(SearchQuery, c.req.query());
    const { hits } = await retriever.retrieve(q, { k, audience });
    return c.json({ hits });
  });

  app.get('/api/matters', async (c) => {
    const { q, department, audience, page, pageSize } = parseQuery(MattersQuery, c.req.query());
    let guides = index.guides;
    if (q) {
      // Ranked by relevance when there is a query; otherwise in id order.
      const ranked = retriever.lexicalMatters(q, audience).map((r) => r.id);
      guides = ranked.map((id) => index.guideById.get(id)).filter((g) => g !== undefined);
    }
    const items = guides
      .filter((g) => !department || g.department.includes(department))
      .filter((g) => !audience || g.audience.includes(audience))
      .map((g) => ({ id: g.id, name: g.name, department: g.department, audience: g.audience, type: g.type }));
    return c.json({ items: items.slice((page - 1) * pageSize, page * pageSize), total: items.length });
  });

  app.get('/api/matters/:id', (c) => {
    const g = index.guideById.get(c.req.param('id'));
    if (!g) throw matterNotFound();
    return c.json({ ...g, sections: guideSections(g).map((s) => ({ id: s.id, title: s.title })) });
  });

  app.route('/', answerRoutes(service, store));
  app.route('/', pageRoutes(index));
  app.route('/', staffRoutes({ config, pipeline, llm: model ? { model, timeoutMs: config.LLM_TIMEOUT_MS } : undefined }));
  app.route('/', widgetRoutes());
  app.route('/', precheckRoutes(prechecker ?? new Prechecker(index.guideById, { concurrency: config.PRECHECK_CONCURRENCY }), config));
  return app;
}
