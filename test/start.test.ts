import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { freePort, startArgs } from '../scripts/benchHttp.ts';
import { DB_FILE } from '../server/storage/store.ts';
import { TEST_INDEX } from './globalSetup.ts';
import { tmpDir } from './helpers.ts';

// The README's run command, as package.json's `start` script runs it (node flags included): the entry point,
// its wiring and its shutdown are otherwise exercised by no test.
describe('npm start', () => {
  it('serves the built-in knowledge, and on SIGTERM writes what it queued and exits 0', async () => {
    const port = await freePort();
    const dataDir = tmpDir();
    const child = spawn(process.execPath, startArgs(), {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', INDEX_DIR: TEST_INDEX, KNOWLEDGE_DIR: 'knowledge', DATA_DIR: dataDir, RATE_LIMIT_PER_MIN: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => out, { timeout: 90_000, interval: 200 }).toContain('汇办已启动');
      const base = `http://127.0.0.1:${port}`;
      expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ ok: true, matters: 470 });
      const res = await fetch(`${base}/api/ask`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ question: '开奶茶店办食品经营许可证要准备什么材料' }),
      });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { answerId: string; citations: { matterId: string; section: string }[] };
      expect(answer.citations.some((c) => c.matterId === 'qy-039' && /^materials?(-\d+)?$/.test(c.section))).toBe(true);
      const fb = await fetch(`${base}/api/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ answerId: answer.answerId, rating: 'up' }),
      });
      expect(fb.status).toBe(200);
      // A second answer stays queued (batched writes) until the shutdown writes it.
      await fetch(`${base}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: '办居住证要多久' }) });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const db = new Database(path.join(dataDir, DB_FILE), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM answers').pluck().get()).toBe(2);
      expect(db.prepare('SELECT count(*) FROM feedback').pluck().get()).toBe(1);
      expect(db.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(4);
    } finally {
      db.close();
    }
  });
});
