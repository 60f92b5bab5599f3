import { beforeAll, describe, expect, it } from 'vitest';
import { bundle, gzipSize } from '../widgets/build.ts';
import { uiMessageParts } from '../widgets/src/stream.ts';
import { QUICK_TOPICS } from '../widgets/src/topics.ts';
import { createApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { loadIndex, type LoadedIndex } from '../server/retrieval/loadIndex.ts';
import { TEST_INDEX } from './globalSetup.ts';

/** The widget bundle and what the service serves of it (no browser needed). */
const LIMIT_GZ = 60 * 1024;
let index: LoadedIndex;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  index = await loadIndex(TEST_INDEX);
  app = createApp({ config: loadConfig({ RATE_LIMIT_PER_MIN: '0' }), index });
});

describe('widget bundle', () => {
  it(`is one file of at most 60 KB gzipped, loading nothing from elsewhere`, async () => {
    const js = await bundle('widget');
    const gz = gzipSize(js);
    console.log(`[widget] widget.js ${(js.length / 1024).toFixed(1)} KB, gzip ${(gz / 1024).toFixed(1)} KB`);
    expect(gz).toBeLessThanOrEqual(LIMIT_GZ);
    // No fonts, CDNs or other hosts: the only URLs are built from the endpoint at run time.
    expect(js).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(js).not.toMatch(/@import|@font-face|url\(/);
  });

  it('is served at /widget.js (JavaScript, cacheable, ETag) and the demo pages at /demo/', async () => {
    const res = await app.request('/widget.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const etag = res.headers.get('etag')!;
    expect((await res.text()).length).toBeGreaterThan(1000);
    expect((await app.request('/widget.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
    for (const page of ['/demo/', '/demo/portal.html', '/demo/hall.html', '/demo/kiosk.html']) {
      const r = await app.request(page);
      expect(r.status, page).toBe(200);
      expect(await r.text()).toMatch(/<html lang="zh-CN">/);
    }
    expect((await app.request('/demo/nope.html')).status).toBe(404);
    expect((await app.request('/demo/..%2Fbuild.ts')).status).toBe(404);
  });

  it("kiosk quick topics point at real guides", () => {
    expect(QUICK_TOPICS.length).toBeGreaterThanOrEqual(6);
    for (const t of QUICK_TOPICS) expect(index.guideById.has(t.matterId), t.matterId).toBe(true);
  });
});

describe('UI-message stream reader', () => {
  /** A byte stream cut at awkward places (inside events, inside a multi-byte character). */
  const chunked = (text: string, size: number) => {
    const bytes = new TextEncoder().encode(text);
    return new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
        c.close();
      },
    });
  };

  it('yields the parts of a real /api/chat response in order, however the bytes are cut', async () => {
    const res = await app.request('/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'c1', messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: '开奶茶店办食品经营许可证要多久' }] }], trigger: 'submit-message' }),
    });
    const raw = await res.text();
    for (const size of [1, 7, 64, 100_000]) {
      const parts = [];
      for await (const p of uiMessageParts(chunked(raw, size))) parts.push(p);
      const text = parts.filter((p) => p.type === 'text-delta').map((p) => p.delta).join('');
      expect(text).toContain('食品经营许可（新办）');
      expect(parts.filter((p) => p.type === 'source-url').length).toBeGreaterThan(0);
      expect(parts.at(-1)?.type).toBe('data-answer');
    }
  });

  it('skips a malformed event and stops at [DONE]', async () => {
    const parts = [];
    for await (const p of uiMessageParts(chunked('data: {"type":"a"}\n\ndata: {broken\n\ndata: [DONE]\n\ndata: {"type":"late"}\n\n', 5))) parts.push(p);
    expect(parts).toEqual([{ type: 'a' }]);
  });
});
