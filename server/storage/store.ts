import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Conversations, answers, feedback and the audit trail in one SQLite file (`<dataDir>/huiban.sqlite`).
 *
 * Durability. The database runs in WAL mode: a commit appends its pages to `huiban.sqlite-wal` with
 * write(2) before it returns. Once write(2) returns, the bytes are in the kernel's page cache, which
 * outlives the process: a SIGKILL, an OOM kill or a crash loses nothing that was committed, whatever
 * `synchronous` says. What `synchronous` decides is power loss (or a kernel crash):
 * - NORMAL (the main connection): the WAL is fsynced only at checkpoints, so the last commits before a
 *   power cut may be lost, but the file is never corrupted. Messages, answers and audit use it: losing the
 *   last second of those is acceptable, an fsync on every request's writes is not.
 * - FULL (a second connection used only for feedback): the WAL is fsynced at every commit, so when
 *   `saveFeedback` returns the row survives power loss too. The WAL is one append-only file and fsync
 *   flushes all of it, so everything committed before the feedback (the answer it rates) becomes durable
 *   with it. A dedicated connection keeps that setting fixed instead of toggling a PRAGMA around writes.
 *
 * Batching. Audit entries and answered questions (`saveExchange`) are queued in memory and written
 * together, in one transaction, at most `auditFlushMs` after the first (or at `auditBatch` entries): one
 * commit per request was a fifth of the /api/ask CPU time under load. A SIGKILL loses what is queued then
 * (at most that long of history); a normal exit, `close` and every read of the same data (history for a
 * follow-up, an answer looked up or rated) write the queue first, so nothing reads around it.
 *
 * Personal data: callers pass text that is already redacted; the fields are named `...Redacted` so nobody
 * mistakes them for raw input. `secure_delete` zeroes purged rows so expired text does not linger in free
 * pages.
 */

export const DB_FILE = 'huiban.sqlite';
/** PRAGMA user_version after all migrations; MIGRATIONS[i] takes the database from version i to i + 1. */
export const SCHEMA_VERSION = 1;
const MIGRATIONS: URL[] = [new URL('./schema.sql', import.meta.url)];
const BUSY_TIMEOUT_MS = 5000;
const DAY_MS = 86_400_000;

export type Role = 'user' | 'assistant';
export type Rating = 'up' | 'down';

export interface AnswerRecord {
  answerId: string;
  conversationId: string;
  questionRedacted: string;
  answerText: string;
  /** Matter ids, best first. */
  matters: string[];
  citations: unknown[];
  refused: boolean;
  mode: string;
  timings: Record<string, number>;
}

export interface StoredAnswer extends AnswerRecord {
  createdAt: number;
}

export interface FeedbackRecord {
  answerId: string;
  rating: Rating;
  commentRedacted?: string;
}

export interface StoreOptions {
  /** Rows older than this many days are deleted at open and by `purgeExpired()` (default 180). */
  retentionDays?: number;
  /** Queued audit entries are written at most this long after the first one is queued (default 500). */
  auditFlushMs?: number;
  /** This many queued audit entries are written at once, without waiting for the timer (default 200). */
  auditBatch?: number;
  /** Clock in ms since the epoch (tests inject it to write old rows). */
  now?: () => number;
}

export interface StoreStats {
  conversations: number;
  answers: number;
  feedback: number;
  /** Audit rows on disk. */
  audit: number;
  /** Writes queued in memory (audit entries and answered questions), not yet flushed. */
  auditQueued: number;
}

export interface Store {
  /** Creates the conversation or updates its channel/audience (a missing field keeps its old value). */
  upsertConversation(id: string, meta: { channel?: string; audience?: string }): void;
  /** Appends a message; creates the conversation if needed. */
  addMessage(conversationId: string, role: Role, contentRedacted: string): void;
  /** The last `limit` messages of a conversation, oldest first. */
  recentMessages(conversationId: string, limit: number): { role: Role; content: string }[];
  /** Stores an answer (creates its conversation if needed); a duplicate answerId throws. */
  saveAnswer(a: AnswerRecord): void;
  /**
   * Queues one question and its answer, written later as one unit (see Batching at the top): the
   * conversation's channel/audience as in upsertConversation, the question and the answer text as
   * messages, the answer. An exchange that cannot be written (a duplicate answerId) leaves nothing of
   * itself and is reported on stderr without text; the others are written.
   */
  saveExchange(meta: { channel?: string; audience?: string }, questionRedacted: string, a: AnswerRecord): void;
  hasAnswer(answerId: string): boolean;
  getAnswer(answerId: string): StoredAnswer | undefined;
  /**
   * Stores feedback durably (fsynced, see the top of this file) before returning. Throws
   * `UnknownAnswerError` when the answer is not stored (or has expired).
   */
  saveFeedback(f: FeedbackRecord): { id: number };
  /** Queues an audit entry (batched; see StoreOptions). `detail` must hold no personal data. */
  audit(type: string, detail: Record<string, unknown>): void;
  /** Writes the queued audit entries now, in one transaction. */
  flush(): void;
  /** Deletes everything older than the retention period; returns how many rows went. */
  purgeExpired(): { deleted: number };
  stats(): StoreStats;
  /** Flushes the audit queue and closes the database. Idempotent. */
  close(): void;
}

export class UnknownAnswerError extends Error {
  constructor(readonly answerId: string) {
    super(`unknown answerId: ${answerId}`);
    this.name = 'UnknownAnswerError';
  }
}

interface AnswerRow {
  answer_id: string;
  conversation_id: string;
  question_redacted: string;
  answer_text: string;
  matters: string;
  citations: string;
  refused: number;
  mode: string;
  timings: string;
  created_at: number;
}

/** A write waiting in the queue (see Batching at the top). */
type Queued =
  | { kind: 'audit'; type: string; detail: string; createdAt: number }
  | { kind: 'exchange'; meta: { channel?: string; audience?: string }; question: string; answer: AnswerRecord; createdAt: number };

const isConstraintError = (err: unknown) => String((err as { code?: unknown })?.code ?? '').startsWith('SQLITE_CONSTRAINT');

function positive(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) throw new RangeError(`${name} must be a number >= ${min}`);
  return value;
}

/** Brings the schema to SCHEMA_VERSION; safe to run from several processes at once. */
function migrate(db: Database.Database): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  // IMMEDIATE takes the write lock first, so two processes opening a fresh file do not both migrate.
  db.transaction(() => {
    const from = version();
    if (from > SCHEMA_VERSION) {
      throw new Error(`${DB_FILE} has schema version ${from}, newer than this code (${SCHEMA_VERSION})`);
    }
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(fs.readFileSync(MIGRATIONS[v], 'utf8'));
    if (from !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

export function openStore(dataDir: string, opts: StoreOptions = {}): Store {
  const retentionDays = positive('retentionDays', opts.retentionDays ?? 180, 1);
  const auditFlushMs = positive('auditFlushMs', opts.auditFlushMs ?? 500, 0);
  const auditBatch = positive('auditBatch', opts.auditBatch ?? 200, 1);
  const now = opts.now ?? Date.now;

  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, DB_FILE);

  // `timeout` is busy_timeout: waits for another connection's write lock instead of failing at once.
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  let fb: Database.Database | undefined;
  try {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`${file}: WAL mode unavailable (journal_mode=${String(mode)})`);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
    migrate(db);

    fb = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    fb.pragma('synchronous = FULL');
    fb.pragma('foreign_keys = ON');
  } catch (err) {
    fb?.close();
    db.close();
    throw err;
  }
  const feedbackDb = fb;

  const st = {
    touchConversation: db.prepare(
      `INSERT INTO conversations (id, created_at, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at`,
    ),
    upsertConversation: db.prepare(
      `INSERT INTO conversations (id, channel, audience, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET channel = coalesce(excluded.channel, channel),
         audience = coalesce(excluded.audience, audience), updated_at = excluded.updated_at`,
    ),
    insertMessage: db.prepare(
      'INSERT INTO messages (conversation_id, role, content_redacted, created_at) VALUES (?, ?, ?, ?)',
    ),
    recentMessages: db.prepare(
      `SELECT role, content FROM (
         SELECT id, role, content_redacted AS content FROM messages
         WHERE conversation_id = ? ORDER BY id DESC LIMIT ?
       ) ORDER BY id ASC`,
    ),
    insertAnswer: db.prepare(
      `INSERT INTO answers (answer_id, conversation_id, question_redacted, answer_text, matters, citations,
         refused, mode, timings, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    hasAnswer: db.prepare('SELECT 1 FROM answers WHERE answer_id = ?').pluck(),
    getAnswer: db.prepare('SELECT * FROM answers WHERE answer_id = ?'),
    insertAudit: db.prepare('INSERT INTO audit (type, detail, created_at) VALUES (?, ?, ?)'),
    // Children first, so the counts are exact and the ON DELETE CASCADEs are only a safety net.
    purge: [
      db.prepare(
        `DELETE FROM feedback WHERE created_at < @cutoff OR answer_id IN (
           SELECT answer_id FROM answers WHERE created_at < @cutoff OR conversation_id IN (
             SELECT id FROM conversations WHERE updated_at < @cutoff))`,
      ),
      db.prepare(
        `DELETE FROM answers WHERE created_at < @cutoff OR conversation_id IN (
           SELECT id FROM conversations WHERE updated_at < @cutoff)`,
      ),
      db.prepare(
        `DELETE FROM messages WHERE created_at < @cutoff OR conversation_id IN (
           SELECT id FROM conversations WHERE updated_at < @cutoff)`,
      ),
      db.prepare('DELETE FROM conversations WHERE updated_at < @cutoff'),
      db.prepare('DELETE FROM audit WHERE created_at < @cutoff'),
    ],
    count: {
      conversations: db.prepare('SELECT count(*) FROM conversations').pluck(),
      answers: db.prepare('SELECT count(*) FROM answers').pluck(),
      feedback: db.prepare('SELECT count(*) FROM feedback').pluck(),
      audit: db.prepare('SELECT count(*) FROM audit').pluck(),
    },
    fbAnswerExists: feedbackDb.prepare('SELECT 1 FROM answers WHERE answer_id = ?').pluck(),
    fbInsert: feedbackDb.prepare(
      'INSERT INTO feedback (answer_id, rating, comment_redacted, created_at) VALUES (?, ?, ?, ?)',
    ),
  };

  const addMessageTx = db.transaction((conversationId: string, role: Role, content: string, t: number) => {
    st.touchConversation.run(conversationId, t, t);
    st.insertMessage.run(conversationId, role, content, t);
  });
  const insertAnswer = (a: AnswerRecord, t: number) =>
    st.insertAnswer.run(
      a.answerId,
      a.conversationId,
      a.questionRedacted,
      a.answerText,
      JSON.stringify(a.matters),
      JSON.stringify(a.citations),
      a.refused ? 1 : 0,
      a.mode,
      JSON.stringify(a.timings),
      t,
    );
  const saveAnswerTx = db.transaction((a: AnswerRecord, t: number) => {
    st.touchConversation.run(a.conversationId, t, t);
    insertAnswer(a, t);
  });
  const writeExchange = (meta: { channel?: string; audience?: string }, question: string, a: AnswerRecord, t: number) => {
    st.upsertConversation.run(a.conversationId, meta.channel ?? null, meta.audience ?? null, t, t);
    st.insertMessage.run(a.conversationId, 'user', question, t);
    st.insertMessage.run(a.conversationId, 'assistant', a.answerText, t);
    insertAnswer(a, t);
  };
  const saveFeedbackTx = feedbackDb.transaction((f: FeedbackRecord, t: number): number => {
    if (!st.fbAnswerExists.get(f.answerId)) throw new UnknownAnswerError(f.answerId);
    const info = st.fbInsert.run(f.answerId, f.rating, f.commentRedacted ?? null, t);
    return Number(info.lastInsertRowid);
  });
  const writeQueued = (w: Queued) => {
    if (w.kind === 'audit') st.insertAudit.run(w.type, w.detail, w.createdAt);
    else writeExchange(w.meta, w.question, w.answer, w.createdAt);
  };
  const flushTx = db.transaction((entries: Queued[]) => entries.forEach(writeQueued));
  // One entry alone, for when the batch failed: a constraint error is that entry's own and drops it only.
  const writeAlone = db.transaction(writeQueued);
  const purgeTx = db.transaction((cutoff: number) =>
    st.purge.reduce((n, stmt) => n + stmt.run({ cutoff }).changes, 0),
  );

  let queue: Queued[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new Error('store is closed');
  };

  const flush = () => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (queue.length === 0) return;
    const entries = queue;
    queue = [];
    try {
      flushTx(entries);
    } catch (err) {
      if (!isConstraintError(err)) {
        queue = entries.concat(queue); // the transaction rolled back (busy, disk full…): keep them for the next try
        throw err;
      }
      entries.forEach((e, i) => {
        try {
          writeAlone(e);
        } catch (one) {
          if (!isConstraintError(one)) {
            queue = entries.slice(i).concat(queue);
            throw one;
          }
          console.error(`[storage] ${e.kind === 'audit' ? `audit ${e.type}` : `answer ${e.answer.answerId}`} not stored: ${(one as { code?: string }).code}`);
        }
      });
    }
  };
  /** Writes the queue first when it holds an answered question that a read is about. */
  const flushFor = (about: (a: AnswerRecord) => boolean) => {
    if (queue.some((w) => w.kind === 'exchange' && about(w.answer))) flush();
  };
  const enqueue = (w: Queued) => {
    queue.push(w);
    if (queue.length >= auditBatch) flushQuietly();
    else schedule();
  };

  // Background flushes must not throw into the event loop; the entries stay queued and are retried.
  const flushQuietly = () => {
    try {
      flush();
    } catch (err) {
      console.error('audit flush failed:', err);
      schedule();
    }
  };

  function schedule() {
    if (timer || closed || queue.length === 0) return;
    timer = setTimeout(flushQuietly, auditFlushMs);
    timer.unref(); // never keeps the process alive; the 'exit' hook below writes what is left
  }

  // A process that ends normally (or by process.exit) still writes its queued audit entries.
  const onExit = () => {
    if (!closed) flushQuietly();
  };
  process.once('exit', onExit);

  const purgeExpired = () => {
    assertOpen();
    const deleted = purgeTx(now() - retentionDays * DAY_MS);
    // Expired pages also sit in the WAL until it is overwritten; truncating it removes them now.
    if (deleted > 0) db.pragma('wal_checkpoint(TRUNCATE)');
    return { deleted };
  };

  const store: Store = {
    upsertConversation(id, meta) {
      assertOpen();
      flush(); // after what is queued, in order
      const t = now();
      st.upsertConversation.run(id, meta.channel ?? null, meta.audience ?? null, t, t);
    },
    addMessage(conversationId, role, contentRedacted) {
      assertOpen();
      flush(); // after what is queued, in order
      addMessageTx(conversationId, role, contentRedacted, now());
    },
    recentMessages(conversationId, limit) {
      assertOpen();
      flushFor((a) => a.conversationId === conversationId);
      const n = Math.max(0, Math.floor(limit)); // SQLite reads a negative LIMIT as "no limit"
      if (n === 0) return [];
      return st.recentMessages.all(conversationId, n) as { role: Role; content: string }[];
    },
    saveAnswer(a) {
      assertOpen();
      flush(); // after what is queued, in order
      saveAnswerTx(a, now());
    },
    saveExchange(meta, questionRedacted, a) {
      assertOpen();
      enqueue({ kind: 'exchange', meta, question: questionRedacted, answer: a, createdAt: now() });
    },
    hasAnswer(answerId) {
      assertOpen();
      flushFor((a) => a.answerId === answerId);
      return st.hasAnswer.get(answerId) !== undefined;
    },
    getAnswer(answerId) {
      assertOpen();
      flushFor((a) => a.answerId === answerId);
      const r = st.getAnswer.get(answerId) as AnswerRow | undefined;
      if (!r) return undefined;
      return {
        answerId: r.answer_id,
        conversationId: r.conversation_id,
        questionRedacted: r.question_redacted,
        answerText: r.answer_text,
        matters: JSON.parse(r.matters) as string[],
        citations: JSON.parse(r.citations) as unknown[],
        refused: r.refused === 1,
        mode: r.mode,
        timings: JSON.parse(r.timings) as Record<string, number>,
        createdAt: r.created_at,
      };
    },
    saveFeedback(f) {
      assertOpen();
      flushFor((a) => a.answerId === f.answerId); // the answer being rated may still be queued
      // IMMEDIATE: take the write lock before reading, so the commit cannot fail with BUSY_SNAPSHOT.
      return { id: saveFeedbackTx.immediate(f, now()) };
    },
    audit(type, detail) {
      assertOpen();
      enqueue({ kind: 'audit', type, detail: JSON.stringify(detail), createdAt: now() });
    },
    flush() {
      assertOpen();
      flush();
    },
    purgeExpired,
    stats() {
      assertOpen();
      const c = st.count;
      return {
        conversations: c.conversations.get() as number,
        answers: c.answers.get() as number,
        feedback: c.feedback.get() as number,
        audit: c.audit.get() as number,
        auditQueued: queue.length,
      };
    },
    close() {
      if (closed) return;
      try {
        flush();
      } finally {
        closed = true;
        process.removeListener('exit', onExit);
        feedbackDb.close();
        db.close(); // the last connection: SQLite checkpoints and removes the WAL
      }
    },
  };

  try {
    purgeExpired();
  } catch (err) {
    store.close();
    throw err;
  }
  return store;
}
