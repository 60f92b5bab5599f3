import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DB_FILE, SCHEMA_VERSION, openStore, UnknownAnswerError, type AnswerRecord, type Store } from '../server/storage/store.ts';
import { tmpDir } from './helpers.ts';

const DAY = 86_400_000;
const WRITER = path.resolve('test/fixtures/storage-writer.ts');

const open: Store[] = [];
const peers: Database.Database[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  for (const d of peers.splice(0)) d.close();
});

function store(dir: string, opts?: Parameters<typeof openStore>[1]): Store {
  const s = openStore(dir, opts);
  open.push(s);
  return s;
}

/** A second connection, as another process would see the file. */
function peer(dir: string): Database.Database {
  const d = new Database(path.join(dir, DB_FILE), { fileMustExist: true });
  peers.push(d);
  return d;
}
const count = (d: Database.Database, table: string) => d.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

function answer(answerId: string, conversationId: string, over: Partial<AnswerRecord> = {}): AnswerRecord {
  return {
    answerId,
    conversationId,
    questionRedacted: '我的手机号是[手机号]，居住证要带什么材料？',
    answerText: '办理居住证需要：身份证、居住证明。',
    matters: ['wh-040', 'wh-041'],
    citations: [{ n: 1, matterId: 'wh-040', matterName: '居住证', section: 'materials', quote: '身份证', url: '/matters/wh-040#materials' }],
    refused: false,
    mode: 'extractive',
    timings: { retrieve: 3.5, compose: 1.25 },
    ...over,
  };
}

describe('storage: opening', () => {
  it('creates the folder and the file, runs in WAL mode, sets the schema version, and reopens idempotently', () => {
    const dir = path.join(tmpDir(), 'nested', 'data');
    const s = store(dir);
    s.saveAnswer(answer('a1', 'c1'));
    expect(fs.existsSync(path.join(dir, DB_FILE))).toBe(true);

    const p = peer(dir);
    expect(p.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(p.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const tables = p.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['answers', 'audit', 'conversations', 'feedback', 'messages']);

    s.close();
    const again = store(dir);
    const third = store(dir); // two stores on one file at once: both work
    expect(again.hasAnswer('a1')).toBe(true);
    expect(third.stats().answers).toBe(1);
  });

  it('refuses a database written by a newer schema', () => {
    const dir = tmpDir();
    store(dir).close();
    const d = new Database(path.join(dir, DB_FILE));
    d.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    d.close();
    expect(() => openStore(dir)).toThrow(/newer/);
  });
});

describe('storage: conversations and answers', () => {
  it('upserts conversations, keeping fields a later call leaves out', () => {
    const dir = tmpDir();
    const s = store(dir);
    s.upsertConversation('c1', { channel: 'portal', audience: '个人' });
    s.upsertConversation('c1', { channel: 'kiosk' });
    const row = peer(dir).prepare('SELECT channel, audience FROM conversations WHERE id = ?').get('c1');
    expect(row).toEqual({ channel: 'kiosk', audience: '个人' });
    expect(s.stats().conversations).toBe(1);
  });

  it('returns the last N messages oldest first, per conversation', () => {
    const s = store(tmpDir());
    for (let i = 1; i <= 5; i++) {
      s.addMessage('c1', i % 2 ? 'user' : 'assistant', `m${i}`);
      s.addMessage('c2', 'user', `other${i}`);
    }
    expect(s.recentMessages('c1', 3)).toEqual([
      { role: 'user', content: 'm3' },
      { role: 'assistant', content: 'm4' },
      { role: 'user', content: 'm5' },
    ]);
    expect(s.recentMessages('c1', 50).map((m) => m.content)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(s.recentMessages('c1', 0)).toEqual([]);
    expect(s.recentMessages('c1', -1)).toEqual([]);
    expect(s.recentMessages('nope', 5)).toEqual([]);
    expect(s.stats().conversations).toBe(2); // addMessage created both conversations
  });

  it('rejects a role other than user or assistant', () => {
    const s = store(tmpDir());
    expect(() => s.addMessage('c1', 'system' as 'user', 'x')).toThrow(/CHECK/);
    expect(s.recentMessages('c1', 5)).toEqual([]); // the conversation insert rolled back with it
    expect(s.stats().conversations).toBe(0);
  });

  it('round-trips an answer with its JSON fields parsed', () => {
    const s = store(tmpDir(), { now: () => 1_700_000_000_000 });
    const a = answer('a1', 'c1', { refused: true, mode: 'llm' });
    s.saveAnswer(a);
    expect(s.hasAnswer('a1')).toBe(true);
    expect(s.hasAnswer('a2')).toBe(false);
    expect(s.getAnswer('a1')).toEqual({ ...a, createdAt: 1_700_000_000_000 });
    expect(s.getAnswer('a2')).toBeUndefined();
    expect(() => s.saveAnswer(answer('a1', 'c1'))).toThrow(/UNIQUE/);
    expect(s.getAnswer('a1')?.mode).toBe('llm'); // the duplicate did not replace it
  });

  it('stores a question and its answer together, or nothing of them', () => {
    const s = store(tmpDir(), { now: () => 1_700_000_000_000 });
    s.saveExchange({ channel: 'kiosk', audience: '个人' }, '居住证要带什么？', answer('a1', 'c1'));
    expect(s.recentMessages('c1', 5)).toEqual([
      { role: 'user', content: '居住证要带什么？' },
      { role: 'assistant', content: '办理居住证需要：身份证、居住证明。' },
    ]);
    expect(s.getAnswer('a1')?.conversationId).toBe('c1');
    // An exchange whose answer cannot be stored (same answerId) leaves no half of itself behind, and the
    // exchange queued after it is written all the same.
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    s.saveExchange({ channel: 'portal' }, '那要多久？', answer('a1', 'c1'));
    s.saveExchange({}, '要带户口本吗？', answer('a2', 'c1', { answerText: '不需要。' }));
    expect(s.recentMessages('c1', 5).map((m) => m.content)).toEqual(['居住证要带什么？', '办理居住证需要：身份证、居住证明。', '要带户口本吗？', '不需要。']);
    expect(s.stats()).toMatchObject({ conversations: 1, answers: 2, auditQueued: 0 });
    expect(errors.mock.calls.flat().join(' ')).toMatch(/answer a1 not stored: SQLITE_CONSTRAINT/);
    expect(errors.mock.calls.flat().join(' ')).not.toMatch(/那要多久/);
    errors.mockRestore();
  });

  it('queues answered questions and writes them together; a look-up or a rating sees them at once', () => {
    const dir = tmpDir();
    const s = store(dir, { auditFlushMs: 60_000 });
    s.saveExchange({ channel: 'hall' }, '问题', answer('a1', 'c1'));
    expect(count(peer(dir), 'answers')).toBe(0); // still queued: no commit per request
    expect(s.stats().auditQueued).toBe(1);
    expect(s.recentMessages('other', 5)).toEqual([]); // another conversation's history: nothing to flush
    expect(count(peer(dir), 'answers')).toBe(0);
    expect(s.saveFeedback({ answerId: 'a1', rating: 'up' }).id).toBeGreaterThan(0); // rating flushes first
    expect(count(peer(dir), 'answers')).toBe(1);
    expect(count(peer(dir), 'messages')).toBe(2);
  });
});

describe('storage: feedback', () => {
  it('stores feedback for a stored answer and returns its id', () => {
    const dir = tmpDir();
    const s = store(dir, { now: () => 42 });
    s.saveAnswer(answer('a1', 'c1'));
    const first = s.saveFeedback({ answerId: 'a1', rating: 'up' });
    const second = s.saveFeedback({ answerId: 'a1', rating: 'down', commentRedacted: '请联系[手机号]' });
    expect(second.id).toBeGreaterThan(first.id);
    // Visible to another connection as soon as the call returns: nothing is queued.
    const rows = peer(dir).prepare('SELECT * FROM feedback ORDER BY id').all();
    expect(rows).toEqual([
      { id: first.id, answer_id: 'a1', rating: 'up', comment_redacted: null, created_at: 42 },
      { id: second.id, answer_id: 'a1', rating: 'down', comment_redacted: '请联系[手机号]', created_at: 42 },
    ]);
  });

  it('refuses feedback for an unknown answer and a bad rating', () => {
    const s = store(tmpDir());
    s.saveAnswer(answer('a1', 'c1'));
    expect(() => s.saveFeedback({ answerId: 'nope', rating: 'up' })).toThrow(UnknownAnswerError);
    expect(() => s.saveFeedback({ answerId: 'a1', rating: 'meh' as 'up' })).toThrow(/CHECK/);
    expect(s.stats().feedback).toBe(0);
  });
});

describe('storage: audit batching', () => {
  it('writes nothing before the batch threshold, then the whole batch at once', () => {
    const dir = tmpDir();
    const s = store(dir, { auditFlushMs: 60_000, auditBatch: 5 });
    const p = peer(dir);
    for (let i = 0; i < 4; i++) s.audit('ask', { i });
    expect(count(p, 'audit')).toBe(0);
    expect(s.stats()).toMatchObject({ audit: 0, auditQueued: 4 });
    s.audit('ask', { i: 4 });
    expect(count(p, 'audit')).toBe(5);
    expect(s.stats()).toMatchObject({ audit: 5, auditQueued: 0 });
    const details = p.prepare('SELECT detail FROM audit ORDER BY id').pluck().all() as string[];
    expect(details.map((d) => JSON.parse(d).i)).toEqual([0, 1, 2, 3, 4]);
  });

  it('writes nothing before the flush interval, everything after it', async () => {
    const dir = tmpDir();
    const s = store(dir, { auditFlushMs: 100 });
    const p = peer(dir);
    s.audit('ask', { q: 1 });
    s.audit('feedback', { rating: 'up' });
    expect(count(p, 'audit')).toBe(0);
    await new Promise((r) => setTimeout(r, 400));
    expect(count(p, 'audit')).toBe(2);
    expect(p.prepare('SELECT type FROM audit ORDER BY id').pluck().all()).toEqual(['ask', 'feedback']);
  });

  it('flush() and close() write the queue; the time is when audit() was called', () => {
    const dir = tmpDir();
    let clock = 1000;
    const s = openStore(dir, { auditFlushMs: 60_000, now: () => clock });
    const p = peer(dir);
    s.audit('a', {});
    clock = 2000;
    s.flush();
    expect(p.prepare('SELECT created_at FROM audit').pluck().all()).toEqual([1000]);
    s.audit('b', { x: [1, 2] });
    expect(count(p, 'audit')).toBe(1);
    s.close();
    expect(count(p, 'audit')).toBe(2);
    expect(p.prepare("SELECT detail FROM audit WHERE type = 'b'").pluck().get()).toBe('{"x":[1,2]}');
    expect(() => s.audit('c', {})).toThrow(/closed/);
    s.close(); // idempotent
  });

  it('the audit timer never keeps the process alive, and queued entries are written on exit', () => {
    const dir = tmpDir();
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', WRITER, dir, 'exit'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0); // a timer holding the loop for 60 s would hit the 30 s timeout (status null)
    expect(r.stdout).toContain('QUEUED');
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(peer(dir).prepare("SELECT count(*) FROM audit WHERE type = 'writer.exit'").pluck().get()).toBe(1);
  });
});

describe('storage: retention', () => {
  it('deletes rows older than the retention period at open and in purgeExpired, keeps the rest', () => {
    const dir = tmpDir();
    const today = Date.UTC(2025, 5, 1);
    let clock = today - 200 * DAY;
    const s = openStore(dir, { now: () => clock });
    s.upsertConversation('c-old', { channel: 'portal' });
    s.addMessage('c-old', 'user', 'OLD-MARKER-消息');
    s.saveAnswer(answer('a-old', 'c-old'));
    s.saveFeedback({ answerId: 'a-old', rating: 'down' });
    s.addMessage('c-live', 'user', 'old message in a live conversation');
    s.saveAnswer(answer('a-live-old', 'c-live'));
    s.audit('old', {});
    clock = today;
    s.addMessage('c-live', 'assistant', 'new message');
    s.saveAnswer(answer('a-new', 'c-live'));
    s.saveFeedback({ answerId: 'a-new', rating: 'up' });
    s.saveFeedback({ answerId: 'a-live-old', rating: 'up' }); // new feedback on an expiring answer
    s.audit('new', {});
    s.close();

    // A longer retention keeps everything.
    const keep = store(dir, { retentionDays: 365, now: () => clock });
    expect(keep.stats()).toEqual({ conversations: 2, answers: 3, feedback: 3, audit: 2, auditQueued: 0 });
    expect(keep.purgeExpired()).toEqual({ deleted: 0 });
    keep.close();

    // Reopening with 180 days purges the old rows.
    const r = store(dir, { retentionDays: 180, now: () => clock });
    expect(r.stats()).toEqual({ conversations: 1, answers: 1, feedback: 1, audit: 1, auditQueued: 0 });
    expect(r.hasAnswer('a-old')).toBe(false);
    expect(r.hasAnswer('a-live-old')).toBe(false);
    expect(r.hasAnswer('a-new')).toBe(true);
    expect(r.recentMessages('c-old', 10)).toEqual([]);
    expect(r.recentMessages('c-live', 10)).toEqual([{ role: 'assistant', content: 'new message' }]);
    const p = peer(dir);
    expect(p.prepare('SELECT answer_id FROM feedback').pluck().all()).toEqual(['a-new']);
    expect(p.prepare('SELECT type FROM audit').pluck().all()).toEqual(['new']);
    expect(r.purgeExpired()).toEqual({ deleted: 0 });

    // Purged text is overwritten, not left in free pages or the WAL.
    for (const f of [DB_FILE, `${DB_FILE}-wal`]) {
      const file = path.join(dir, f);
      if (fs.existsSync(file)) expect(fs.readFileSync(file).includes(Buffer.from('OLD-MARKER'))).toBe(false);
    }

    // Time passes: the rest expires too, and the count is exact.
    clock = today + 181 * DAY;
    expect(r.purgeExpired()).toEqual({ deleted: 5 }); // 1 conversation, 1 message, 1 answer, 1 feedback, 1 audit
    expect(r.stats()).toEqual({ conversations: 0, answers: 0, feedback: 0, audit: 0, auditQueued: 0 });
  });

  it('counts retention from a conversation’s last activity', () => {
    const dir = tmpDir();
    let clock = Date.UTC(2025, 0, 1);
    const s = store(dir, { retentionDays: 30, now: () => clock });
    s.upsertConversation('c1', {});
    clock += 25 * DAY;
    s.addMessage('c1', 'user', 'still here');
    clock += 10 * DAY; // 35 days after creation, 10 after the last message
    expect(s.purgeExpired()).toEqual({ deleted: 0 });
    expect(s.recentMessages('c1', 5)).toEqual([{ role: 'user', content: 'still here' }]);
  });
});

describe('storage: durability', () => {
  it('an acknowledged feedback survives SIGKILL of the writer', async () => {
    const dir = tmpDir();
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));

    const id = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no ACK within 30 s; stderr: ${stderr}`)), 30_000);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /^ACK (\d+)$/m.exec(out);
        if (m) {
          child.kill('SIGKILL'); // at once: no chance to close, flush or checkpoint
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on('exit', () => reject(new Error(`writer exited before ACK; stderr: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');

    // The writer never closed the database: the rows live only in the WAL, which the next open recovers.
    expect(fs.statSync(path.join(dir, `${DB_FILE}-wal`)).size).toBeGreaterThan(0);
    const s = store(dir);
    const row = peer(dir).prepare('SELECT answer_id, rating, comment_redacted FROM feedback WHERE id = ?').get(id);
    expect(row).toEqual({ answer_id: 'ans-kill', rating: 'down', comment_redacted: '电话[手机号]' });
    expect(s.getAnswer('ans-kill')?.matters).toEqual(['wh-040']);
  });
});
