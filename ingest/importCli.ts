import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { importGuidesJsonl } from './importGuides.ts';

// npm run knowledge:import -- FILE.jsonl [FILE.jsonl ...] [--knowledge DIR]
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { knowledge: { type: 'string', default: process.env.KNOWLEDGE_DIR ?? 'knowledge' } },
});
if (positionals.length === 0) {
  console.error('用法：npm run knowledge:import -- 导出文件.jsonl [更多文件…] [--knowledge 知识库目录]');
  process.exit(2);
}
let failed = 0;
for (const file of positionals) {
  const r = importGuidesJsonl(fs.readFileSync(file, 'utf8'), path.basename(file), values.knowledge!);
  console.log(`${file}: 写入 ${r.written.length}，未变 ${r.unchanged.length}，有问题 ${r.problems.length}`);
  for (const p of r.problems) console.error(`  ${p.file} ${p.field}: ${p.reason}`);
  failed += r.problems.length;
}
process.exit(failed ? 1 : 0);
