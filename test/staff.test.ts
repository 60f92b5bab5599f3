import { MockLanguageModelV2 } from 'ai/test';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app.ts';
import { citationHolds } from '../server/answer/citations.ts';
import { loadConfig } from '../server/config.ts';
import { loadIndex, type LoadedIndex } from '../server/retrieval/loadIndex.ts';
import { sessionValue, STAFF_COOKIE } from '../server/staff/auth.ts';
import { GLOSSARY, plainByGlossary, rewriteHolds } from '../server/staff/plain.ts';
import { SuggestResponseSchema } from '../server/staff/schema.ts';
import { renumber } from '../server/staff/suggest.ts';
import { TEST_INDEX } from './globalSetup.ts';

const TOKEN = 'test-staff-token-0123456789';
let index: LoadedIndex;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  index = await loadIndex(TEST_INDEX);
  app = createApp({ config: loadConfig({ RATE_LIMIT_PER_MIN: '0', STAFF_TOKEN: TOKEN }), index });
});

const post = async (path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }, a = app) => {
  const res = await a.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), headers: res.headers };
};

type Suggestion = { style: string; text: string; citations: { n: number; matterId: string; section: string; quote: string; url: string }[] };

/** Every citation stands in its guide section, and the markers in the text are exactly the citations. */
function expectCited(s: Suggestion) {
  for (const c of s.citations) {
    const g = index.guideById.get(c.matterId)!;
    expect(citationHolds(c as never, g), `${c.matterId}#${c.section}: ${c.quote}`).toBe(true);
    expect(c.url).toBe(`/matters/${c.matterId}#${c.section}`);
  }
  const markers = [...new Set([...s.text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
  expect(markers).toEqual(s.citations.map((c) => c.n).sort((a, b) => a - b));
}

describe('staff authentication', () => {
  it('refuses /api/suggest and /api/suggest/plain without the token (401, Chinese message), or with a wrong one', async () => {
    for (const path of ['/api/suggest', '/api/suggest/plain']) {
      const none = await post(path, { message: '办居住证', text: '免于提交' }, {});
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('staff_unauthorized');
      expect(none.body.error.message).toMatch(/[\u4e00-\u9fa5]/);
      const wrong = await post(path, { message: '办居住证', text: '免于提交' }, { authorization: 'Bearer nope' });
      expect(wrong.status).toBe(401);
    }
  });

  it('answers 403 with a clear message when STAFF_TOKEN is not configured', async () => {
    const open = createApp({ config: loadConfig({ RATE_LIMIT_PER_MIN: '0' }), index });
    const r = await post('/api/suggest', { message: '办居住证' }, { authorization: 'Bearer anything' }, open);
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'staff_disabled' });
    expect(r.body.error.message).toContain('STAFF_TOKEN');
    const page = await open.request('/console');
    expect(page.status).toBe(403);
  });

  it('keeps citizen endpoints public', async () => {
    const r = await post('/api/ask', { question: '办居住证要多久' }, {});
    expect(r.status).toBe(200);
  });

  it('/console: login form without auth (401), the console with the bearer token or the session cookie', async () => {
    const anon = await app.request('/console');
    expect(anon.status).toBe(401);
    const html = await anon.text();
    expect(html).toContain('name="token"');
    expect(html).not.toContain('/console/app.js');

    const bearer = await app.request('/console', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(200);
    expect(await bearer.text()).toContain('/console/app.js');
    expect(bearer.headers.get('content-security-policy')).toContain("script-src 'self'");

    const bad = await app.request('/console/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=wrong' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();

    const login = await app.request('/console/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}` });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN); // the cookie holds a value derived from the token, not the token
    const value = cookie.split(';')[0];
    expect(value).toBe(`${STAFF_COOKIE}=${sessionValue(TOKEN)}`);
    const page = await app.request('/console', { headers: { cookie: value } });
    expect(page.status).toBe(200);
    const api = await post('/api/suggest/plain', { text: '原件' }, { cookie: value });
    expect(api.status).toBe(200);
    const forged = await app.request('/console', { headers: { cookie: `${STAFF_COOKIE}=forged` } });
    expect(forged.status).toBe(401);
  });
});

describe('POST /api/suggest (extractive)', () => {
  it('gives concise, steps and clarify replies with exact citations', async () => {
    const r = await post('/api/suggest', { message: '你好，我想开个奶茶店，办食品经营许可证要准备什么材料？' });
    expect(r.status).toBe(200);
    const body = SuggestResponseSchema.parse(r.body);
    expect(body.mode).toBe('extractive');
    expect(body.suggestions.map((s) => s.style)).toEqual(['concise', 'steps', 'clarify']);
    expect(body.matters?.[0].id).toBe('qy-039');
    for (const s of body.suggestions) {
      expect(s.citations.length).toBeGreaterThan(0);
      expectCited(s);
    }
    const [concise, steps] = body.suggestions;
    expect(concise.text).toContain('食品经营许可（新办）');
    expect(concise.text).toContain('食品经营许可申请书');
    const guide = index.guideById.get('qy-039')!;
    for (const p of guide.process) expect(steps.text).toContain(p);
    expect(steps.text).toMatch(/^您好，.*\n1\. /);
  });

  it('asks back first when the message fits several variants', async () => {
    const r = await post('/api/suggest', { message: '办居住证要多久' });
    const body = SuggestResponseSchema.parse(r.body);
    expect(body.suggestions[0].style).toBe('clarify');
    expect(body.suggestions[0].text).toContain('上海市居住证申领');
    expect(body.suggestions[0].text).toContain('上海市居住证补领、换领');
    for (const s of body.suggestions) expectCited(s);
  });

  it('replies to the last user message of a pasted conversation, on its matter', async () => {
    const r = await post('/api/suggest', {
      history: [
        { role: 'user', content: '我想给孩子报户口要带什么材料' },
        { role: 'assistant', content: '关于「出生登记（新生儿申报户口）」：需要准备的材料……' },
        { role: 'user', content: '那要多久？' },
      ],
    });
    const body = SuggestResponseSchema.parse(r.body);
    expect(body.matters?.[0].id).toBe('wh-044');
    expect(body.suggestions[0].text).toContain(index.guideById.get('wh-044')!.promisedTimeLimit);
  });

  it('validates the body with Chinese messages', async () => {
    const empty = await post('/api/suggest', {});
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/粘贴/);
    const long = await post('/api/suggest', { message: '办'.repeat(2001) });
    expect(long.status).toBe(400);
  });

  it('out of the guides: one clarifying reply, no invented citation', async () => {
    const body = SuggestResponseSchema.parse((await post('/api/suggest', { message: '今天天气怎么样' })).body);
    expect(body.suggestions.length).toBeGreaterThanOrEqual(1);
    expect(body.suggestions[0].style).toBe('clarify');
    for (const s of body.suggestions) expectCited(s);
  });
});

describe('POST /api/suggest/plain (glossary)', () => {
  it('rewrites government terms into everyday words, keeping numbers and citation markers', async () => {
    const text = '营业执照免于提交[2]；身份证须提供原件及复印件[3]，法定代表人签字。承诺5个工作日办结，受理后核验。再次提醒：法定代表人到场，3个工作日内。';
    const r = await post('/api/suggest/plain', { text });
    expect(r.status).toBe(200);
    expect(r.body.text).toContain('不用交[2]');
    expect(r.body.text).toContain('原本和复印的一份[3]');
    expect(r.body.text).not.toContain('免于提交');
    expect(r.body.text).not.toContain('受理');
    expect(r.body.text).toContain('5个工作日（不算周末和法定节假日）');
    expect(r.body.text).toContain('3个工作日内'); // explained once only
    expect(r.body.text).toContain('法人代表到场');
    expect(r.body.mode).toBe('extractive');
    expect(r.body.replaced.map((x: { term: string }) => x.term)).toEqual(expect.arrayContaining(['免于提交', '原件及复印件', '受理', '核验']));
  });

  it('has at least 30 terms and never rewrites its own output', () => {
    expect(GLOSSARY.length).toBeGreaterThanOrEqual(30);
    const once = plainByGlossary('原件').text;
    expect(once).toBe('原本');
    expect(plainByGlossary('复印件').text).toBe('复印的一份'); // not 复印的一份 → 复印的一份 again
  });

  it('rejects an empty text', async () => {
    const r = await post('/api/suggest/plain', { text: '  ' });
    expect(r.status).toBe(400);
  });
});

describe('LLM mode (MockLanguageModelV2)', () => {
  /** A mock whose answer depends on the prompt; records its calls. */
  const mock = (answer: (prompt: string) => string) =>
    new MockLanguageModelV2({
      doGenerate: async (options) => ({
        content: [{ type: 'text', text: answer(JSON.stringify(options.prompt).replace(/\\n/g, '\n')) }],
        finishReason: 'stop',
        usage: { inputTokens: 10, outputTokens: 10, totalTokens: 20 },
        warnings: [],
      }),
    });
  const sourceOf = (prompt: string, title: string) => Number(new RegExp(`\\[(\\d+)\\] [^\\n]*｜${title}`).exec(prompt)?.[1]);

  it('uses the model for concise and steps when its facts check out, and says so', async () => {
    const model = mock((p) => (p.includes('【要求】') ? `您好，承诺5个工作日办结[${sourceOf(p, '办理时限')}]。` : '原本和复印的一份'));
    const llmApp = createApp({ config: loadConfig({ RATE_LIMIT_PER_MIN: '0', STAFF_TOKEN: TOKEN }), index, llm: model });
    const body = SuggestResponseSchema.parse((await post('/api/suggest', { message: '开奶茶店办食品经营许可证要多久' }, undefined, llmApp)).body);
    expect(body.mode).toBe('llm');
    const concise = body.suggestions.find((s) => s.style === 'concise')!;
    expect(concise.mode).toBe('llm');
    expect(concise.text).toBe('您好，承诺5个工作日办结[1]。');
    expect(concise.citations[0]).toMatchObject({ matterId: 'qy-039', section: 'time-limit', quote: '5个工作日' });
    for (const s of body.suggestions) expectCited(s);
  });

  it('falls back to the extractive reply when the model states a fact its sources do not hold', async () => {
    const model = mock((p) => `您好，需缴纳审核费200元[${sourceOf(p, '收费标准') || 1}]。`);
    const llmApp = createApp({ config: loadConfig({ RATE_LIMIT_PER_MIN: '0', STAFF_TOKEN: TOKEN }), index, llm: model });
    const body = SuggestResponseSchema.parse((await post('/api/suggest', { message: '开奶茶店办食品经营许可证要多久' }, undefined, llmApp)).body);
    expect(body.mode).toBe('extractive');
    for (const s of body.suggestions) expect(s.text).not.toContain('200元');
  });

  it('plain rewrite: keeps a faithful model rewrite, rejects one that changes a fact', async () => {
    const text = '承诺5个工作日办结[1]，营业执照免于提交[2]。';
    const good = createApp({ config: loadConfig({ RATE_LIMIT_PER_MIN: '0', STAFF_TOKEN: TOKEN }), index, llm: mock(() => '5个工作日就能办完[1]，营业执照不用交[2]。') });
    const r1 = await post('/api/suggest/plain', { text }, undefined, good);
    expect(r1.body).toMatchObject({ text: '5个工作日就能办完[1]，营业执照不用交[2]。', mode: 'llm' });
    const bad = createApp({ config: loadConfig({ RATE_LIMIT_PER_MIN: '0', STAFF_TOKEN: TOKEN }), index, llm: mock(() => '3个工作日就能办完[1]，营业执照不用交[2]。') });
    const r2 = await post('/api/suggest/plain', { text }, undefined, bad);
    expect(r2.body.mode).toBe('extractive');
    expect(r2.body.text).toContain('5个工作日');
    expect(rewriteHolds(text, '营业执照不用交[2]，5个工作日办完[1]。')).toBe(true);
    expect(rewriteHolds(text, '营业执照不用交，5个工作日办完。')).toBe(false); // markers dropped
  });
});

describe('suggestion helpers and documents', () => {
  it('renumbers the citations a text keeps, in order of use', () => {
    const c = (n: number) => ({ n, matterId: 'qy-039', matterName: 'x', section: 's', quote: 'q', url: '/matters/qy-039#s' });
    const r = renumber('甲[3]乙[1]丙[3]', [c(1), c(2), c(3)]);
    expect(r.text).toBe('甲[1]乙[2]丙[1]');
    expect(r.citations.map((x) => x.n)).toEqual([1, 2]);
  });

  it('/openapi.json describes the staff endpoints from their zod schemas', async () => {
    const doc = await (await app.request('/openapi.json')).json();
    expect(doc.paths['/api/suggest'].post.requestBody).toBeTruthy();
    expect(doc.paths['/api/suggest/plain'].post).toBeTruthy();
    expect(doc.components.schemas.SuggestResponse.properties.suggestions).toBeTruthy();
    expect(doc.components.schemas.PlainRequest.properties.text).toBeTruthy();
  });
});
