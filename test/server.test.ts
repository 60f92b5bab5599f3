import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { loadIndex } from '../server/retrieval/loadIndex.ts';
import { TEST_INDEX } from './globalSetup.ts';

let app: ReturnType<typeof createApp>;
const get = async (url: string) => {
  const res = await app.request(url);
  return { status: res.status, body: await res.json() };
};

beforeAll(async () => {
  app = createApp({ config: loadConfig({}), index: await loadIndex(TEST_INDEX) });
});

describe('HTTP: search and matters', () => {
  it('GET /healthz reports the loaded index', async () => {
    const { status, body } = await get('/healthz');
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, matters: 470 });
  });

  it('GET /api/search returns hits in the CONTRACTS.md shape', async () => {
    const { status, body } = await get(`/api/search?q=${encodeURIComponent('我想给孩子报户口')}&k=3`);
    expect(status).toBe(200);
    expect(body.hits).toHaveLength(3);
    expect(body.hits[0]).toMatchObject({ matterId: 'wh-044', name: '出生登记（新生儿申报户口）' });
  });

  it('rejects a bad search with a Chinese message and a code', async () => {
    for (const url of ['/api/search', '/api/search?q=%20', '/api/search?q=abc&k=500', `/api/search?q=abc&audience=x`]) {
      const { status, body } = await get(url);
      expect(status, url).toBe(400);
      expect(body.error.code).toBe('invalid_query');
      expect(body.error.message).toMatch(/[\u4e00-\u9fa5]/);
    }
  });

  it('GET /api/matters filters by audience and department, paginates and counts', async () => {
    const all = await get('/api/matters?pageSize=100');
    expect(all.body.total).toBe(470);
    expect(all.body.items).toHaveLength(100);
    const firms = await get(`/api/matters?audience=${encodeURIComponent('法人')}&page=2&pageSize=10`);
    expect(firms.body.items).toHaveLength(10);
    for (const m of firms.body.items) expect(m.audience).toContain('法人');
    const dept = await get(`/api/matters?department=${encodeURIComponent('卫生健康委员会')}&pageSize=100`);
    expect(dept.body.total).toBeGreaterThan(10);
    for (const m of dept.body.items) expect(m.department).toContain('卫生健康委员会');
    const q = await get(`/api/matters?q=${encodeURIComponent('居住证')}&pageSize=3`);
    expect(q.body.items[0].name).toContain('居住证');
  });

  it('GET /api/matters/:id returns the guide with its section list, 404 for an unknown id', async () => {
    const { status, body } = await get('/api/matters/qy-039');
    expect(status).toBe(200);
    expect(body.name).toBe('食品经营许可（新办）');
    expect(body.sections.map((s: { id: string }) => s.id)).toContain('material-1');
    const missing = await get('/api/matters/qy-999');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('matter_not_found');
  });

  it('answers unknown paths with the error shape', async () => {
    const { status, body } = await get('/nope');
    expect(status).toBe(404);
    expect(body.error.code).toBe('not_found');
  });
});

describe('configuration', () => {
  it('parses defaults and rejects a bad value naming the variable', () => {
    expect(loadConfig({})).toMatchObject({ PORT: 8787, INDEX_DIR: '.index', RETRIEVAL_MODE: 'bm25', UPLOAD_MAX_FILES: 10 });
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://a.gov.cn, https://b.gov.cn' }).ALLOWED_ORIGINS).toEqual(['https://a.gov.cn', 'https://b.gov.cn']);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ RETRIEVAL_MODE: 'magic' })).toThrow(/RETRIEVAL_MODE/);
  });
});
