import { Hono } from 'hono';
import { z } from 'zod';
import { AUDIENCES } from '../ingest/guideSchema.ts';
import { guideSections } from '../ingest/sections.ts';
import type { Config } from './config.ts';
import { ApiError, badRequest, errorBody, notFound } from './errors.ts';
import type { LoadedIndex } from './retrieval/loadIndex.ts';
import { Retriever } from './retrieval/retrieve.ts';

export interface AppDeps {
  config: Config;
  index: LoadedIndex;
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

/** The HTTP service (routes only: loading, storage and configuration are passed in). */
export function createApp({ index, config }: AppDeps) {
  const retriever = new Retriever(index, undefined, config.RETRIEVAL_MODE);
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(errorBody(err.code, err.message), err.status);
    console.error(`[error] ${c.req.method} ${new URL(c.req.url).pathname}: ${err.message}`);
    return c.json(errorBody('internal_error', '服务暂时出现问题，请稍后再试或拨打12345市民服务热线。'), 500);
  });
  app.notFound((c) => c.json(errorBody('not_found', '没有找到这个地址。'), 404));

  app.get('/healthz', (c) =>
    c.json({ ok: true, matters: index.guides.length, docs: index.docs.length, chunks: index.chunks.length, builtAt: index.manifest.builtAt }),
  );

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
    if (!g) throw notFound('matter_not_found', '没有找到这个事项，请检查事项编号。');
    return c.json({ ...g, sections: guideSections(g).map((s) => ({ id: s.id, title: s.title })) });
  });

  return app;
}
