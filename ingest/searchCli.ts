import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadIndex } from '../server/retrieval/loadIndex.ts';
import { DEFAULT_MODE, Retriever, type RetrievalMode } from '../server/retrieval/retrieve.ts';
import type { Audience } from './guideSchema.ts';

// npm run search -- [--index DIR] [--k N] [--audience 个人|法人] [--mode hybrid|bm25|dense] [--json] "问题"
// npm run search -- --batch FILE   (one query per line; one JSON array per line)
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    index: { type: 'string', default: process.env.INDEX_DIR ?? '.index' },
    k: { type: 'string', default: '5' },
    audience: { type: 'string' },
    mode: { type: 'string', default: process.env.RETRIEVAL_MODE ?? DEFAULT_MODE },
    json: { type: 'boolean', default: false },
    batch: { type: 'string' },
  },
});
const k = Number(values.k);
if (!Number.isInteger(k) || k < 1 || k > 100) {
  console.error('--k 须为 1 到 100 之间的整数');
  process.exit(2);
}
if (values.audience && values.audience !== '个人' && values.audience !== '法人') {
  console.error('--audience 只能是“个人”或“法人”');
  process.exit(2);
}
if (!['hybrid', 'bm25', 'dense'].includes(values.mode!)) {
  console.error('--mode 只能是 hybrid、bm25 或 dense');
  process.exit(2);
}
const queries = values.batch
  ? fs.readFileSync(values.batch, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean)
  : [positionals.join(' ').trim()];
if (!queries[0]) {
  console.error('用法：npm run search -- [--index 目录] [--k 数量] --json "问题"');
  process.exit(2);
}

const retriever = new Retriever(await loadIndex(values.index!));
const opts = { k, audience: values.audience as Audience | undefined, mode: values.mode as RetrievalMode };
for (const q of queries) {
  const { hits } = await retriever.retrieve(q, opts);
  if (values.json || values.batch) console.log(JSON.stringify(hits));
  else hits.forEach((h, i) => console.log(`${i + 1}. [${h.matterId}] ${h.name} #${h.section} (${h.score})\n   ${h.text.split('\n')[0]}`));
}
