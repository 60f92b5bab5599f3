-- Huiban storage, schema version 1 (store.ts sets PRAGMA user_version = 1 after applying this file).
-- Idempotent (IF NOT EXISTS everywhere); a later version adds a migration instead of editing this file.
-- Times are milliseconds since the epoch. Columns named *_redacted hold text the caller has already
-- stripped of personal data: nothing here is ever stored in clear.

CREATE TABLE IF NOT EXISTS conversations (
  id         TEXT PRIMARY KEY,
  channel    TEXT,
  audience   TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL -- last activity: retention counts from here, so live conversations stay
);
CREATE INDEX IF NOT EXISTS conversations_updated_at ON conversations (updated_at);

CREATE TABLE IF NOT EXISTS messages (
  id               INTEGER PRIMARY KEY,
  conversation_id  TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role             TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  content_redacted TEXT NOT NULL,
  created_at       INTEGER NOT NULL
);
-- recentMessages: the last N of one conversation, by insertion order.
CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation_id, id);
CREATE INDEX IF NOT EXISTS messages_created_at ON messages (created_at);

CREATE TABLE IF NOT EXISTS answers (
  answer_id         TEXT PRIMARY KEY,
  conversation_id   TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  question_redacted TEXT NOT NULL,
  answer_text       TEXT NOT NULL,
  matters           TEXT NOT NULL, -- json: string[] (matter ids)
  citations         TEXT NOT NULL, -- json: Citation[]
  refused           INTEGER NOT NULL CHECK (refused IN (0, 1)),
  mode              TEXT NOT NULL,
  timings           TEXT NOT NULL, -- json: {step: ms}
  created_at        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_conversation ON answers (conversation_id);
CREATE INDEX IF NOT EXISTS answers_created_at ON answers (created_at);

CREATE TABLE IF NOT EXISTS feedback (
  id               INTEGER PRIMARY KEY,
  -- Feedback means nothing without the answer it rates: it goes when the answer expires.
  answer_id        TEXT NOT NULL REFERENCES answers (answer_id) ON DELETE CASCADE,
  rating           TEXT NOT NULL CHECK (rating IN ('up', 'down')),
  comment_redacted TEXT,
  created_at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback (answer_id);
CREATE INDEX IF NOT EXISTS feedback_created_at ON feedback (created_at);

CREATE TABLE IF NOT EXISTS audit (
  id         INTEGER PRIMARY KEY,
  type       TEXT NOT NULL,
  detail     TEXT NOT NULL, -- json object
  created_at INTEGER NOT NULL -- when audit() was called, not when the batch was flushed
);
CREATE INDEX IF NOT EXISTS audit_created_at ON audit (created_at);
CREATE INDEX IF NOT EXISTS audit_type ON audit (type, created_at);
