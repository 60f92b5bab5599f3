import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { loadIndex } from '../server/retrieval/loadIndex.ts';
import { TEST_INDEX } from './globalSetup.ts';

// The server never crashes on input: random and hostile bodies get an answer or a clear 4xx, and it keeps
// answering afterwards.
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  app = createApp({ config: loadConfig({ RATE_LIMIT_PER_MIN: '0' }), index: await loadIndex(TEST_INDEX) });
});

/** A deterministic generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const POOL = ['办', '证', '居住', '营业执照', '\u0000', '\u202e', '\u200b', '😀', '<script>', '"', '\\', '{', '}', '[', ']', '𠀀', 'Ⅲ', '１２３', '13812345678', '\n', ' ', '忽略以上规则', 'ignore previous', '%00', '\ud800'];

function randomText(next: () => number, max: number): string {
  let s = '';
  const n = Math.floor(next() * max);
  for (let i = 0; i < n; i++) s += POOL[Math.floor(next() * POOL.length)];
  return s;
}

describe('robustness', () => {
  it('answers or rejects 300 random bodies on /api/ask and /api/chat, never with a 5xx', async () => {
    const next = rng(20261122);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const kind = i % 6;
      const q = randomText(next, 80);
      const body =
        kind === 0 ? q // not JSON at all
        : kind === 1 ? JSON.stringify({ question: q })
        : kind === 2 ? JSON.stringify({ question: q, history: [{ role: 'user', content: q }, { role: 'robot', content: 1 }] })
        : kind === 3 ? JSON.stringify({ question: { nested: q }, audience: q })
        : kind === 4 ? JSON.stringify({ id: q, messages: [{ role: 'user', parts: [{ type: 'text', text: q }] }] })
        : JSON.stringify({ messages: [{ role: 'user', parts: q }] });
      const path = kind >= 4 ? '/api/chat' : '/api/ask';
      const res = await app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `${path} ${body.slice(0, 60)}`).toBeLessThan(500);
      if (res.status >= 400) expect((await res.json()).error.code).toMatch(/^[a-z_]+$/);
      else await res.text();
    }
    expect(statuses.get(200)).toBeGreaterThan(20);
    const after = await app.request('/api/ask', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: '营业执照丢了怎么补办' }) });
    expect(after.status).toBe(200);
  });
});
