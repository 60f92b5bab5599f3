import { serve } from '@hono/node-server';
import { ingest } from '../ingest/build.ts';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { loadIndex } from './retrieval/loadIndex.ts';
import { openStore } from './storage/store.ts';

// `npm start`: brings the index up to date with the knowledge folder (built on a fresh clone, a no-op
// when nothing changed), opens the store, loads the index and serves.
const config = loadConfig();
const t0 = performance.now();
const summary = await ingest({
  knowledgeDir: config.KNOWLEDGE_DIR,
  outDir: config.INDEX_DIR,
  modelDir: config.EMBEDDING_MODEL_DIR,
  quiet: false,
});
const index = await loadIndex(config.INDEX_DIR);
const store = openStore(config.DATA_DIR, { retentionDays: config.RETENTION_DAYS });
const app = createApp({ config, index, store });
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  const ms = Math.round(performance.now() - t0);
  console.log(`汇办已启动：http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${info.port}（${summary.matters} 个事项，准备用时 ${ms} ms）`);
});

// A daily purge keeps the retention promise on a long-running server.
setInterval(() => store.purgeExpired(), 24 * 3600_000).unref();
const shutdown = () => {
  server.close();
  store.close(); // flushes the audit queue
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
