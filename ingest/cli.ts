import { parseArgs } from 'node:util';
import { IngestError, ingest } from './build.ts';

// npm run ingest -- [--knowledge DIR] [--out DIR] [--rebuild-model] [--strict] [--json]
const { values } = parseArgs({
  options: {
    knowledge: { type: 'string', default: process.env.KNOWLEDGE_DIR ?? 'knowledge' },
    out: { type: 'string', default: process.env.INDEX_DIR ?? '.index' },
    model: { type: 'string', default: process.env.EMBEDDING_MODEL_DIR },
    'rebuild-model': { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

try {
  const t0 = performance.now();
  const summary = await ingest({
    knowledgeDir: values.knowledge!,
    outDir: values.out!,
    modelDir: values.model || undefined,
    rebuildModel: values['rebuild-model'],
    strict: values.strict,
    quiet: values.quiet,
  });
  const totalMs = Math.round(performance.now() - t0);
  if (values.json) {
    console.log(JSON.stringify({ ...summary, totalMs }));
  } else {
    const state = summary.upToDate ? '已是最新' : `向量化 ${summary.embedded} 块，复用 ${summary.reused} 块`;
    console.log(
      `索引 ${values.out}: ${summary.matters} 个事项，${summary.docs} 篇文档，${summary.chunks} 块，${summary.phrasings} 条日常说法；${state}；` +
        `${summary.modelBuilt ? '已构建内置模型；' : ''}${summary.problems.length} 处无效；用时 ${totalMs} ms`,
    );
  }
} catch (error) {
  if (error instanceof IngestError) {
    for (const p of error.problems) console.error(`${p.file} ${p.field}: ${p.reason}`);
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
