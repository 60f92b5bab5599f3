import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { BertTokenizer } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { FILES, IngestError, ingest, type IngestSummary } from '../ingest/build.ts';
import { loadEmbedder } from '../ingest/embed.ts';
import { loadIndex } from '../server/retrieval/loadIndex.ts';
import { Retriever } from '../server/retrieval/retrieve.ts';
import { copyDir, runCli, tmpDir } from './helpers.ts';

// The fixture knowledge base: 8 guides (the food-licence family, 居住证, 出生登记) and 3 documents.
let kb: string;
let out: string;
let first: IngestSummary;

beforeAll(async () => {
  kb = tmpDir();
  copyDir('test/fixtures/knowledge', kb);
  out = tmpDir();
  first = await ingest({ knowledgeDir: kb, outDir: out, quiet: true });
});

describe('ingest', () => {
  it('indexes every guide and document, building the default model from the corpus', () => {
    expect(first).toMatchObject({ matters: 8, docs: 3, phrasings: 0, modelBuilt: true, upToDate: false, problems: [] });
    expect(first.embedded).toBe(first.chunks);
    for (const f of Object.values(FILES)) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, FILES.manifest), 'utf8'));
    expect(manifest.model).toMatchObject({ dir: 'model', builtIn: true, pooling: 'mean' });
    expect(manifest.model.hash).toMatch(/^[0-9a-f]{32}$/);
  });

  it('returns at once when nothing changed', async () => {
    const again = await ingest({ knowledgeDir: kb, outDir: out, quiet: true });
    expect(again).toMatchObject({ upToDate: true, embedded: 0, modelBuilt: false, chunks: first.chunks });
  });

  it('re-embeds only the chunks whose text changed while the model is unchanged', async () => {
    const file = path.join(kb, 'matters', 'qy', 'qy-041.yaml');
    const g = YAML.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, YAML.stringify({ ...g, fee: '收取工本费20元（测试修改）' }));
    const after = await ingest({ knowledgeDir: kb, outDir: out, quiet: true });
    expect(after).toMatchObject({ upToDate: false, modelBuilt: false, embedded: 1, reused: first.chunks - 1 });
    const index = await loadIndex(out);
    const fee = index.chunks.find((c) => c.id === 'qy-041#fee')!;
    expect(fee.text).toContain('收取工本费20元');
  });

  it('makes a matter findable by an everyday phrasing, re-indexing without re-embedding', async () => {
    const ask = async () => {
      const index = await loadIndex(out);
      return new Retriever(index).retrieve('街角开个糖水铺子', { k: 3, sections: false });
    };
    const before = await ask();
    fs.mkdirSync(path.join(kb, 'phrasings'), { recursive: true });
    fs.writeFileSync(path.join(kb, 'phrasings', 'qy.yaml'), YAML.stringify({ 'qy-039': ['街角开个糖水铺子'] }));
    try {
      const again = await ingest({ knowledgeDir: kb, outDir: out, quiet: true });
      expect(again).toMatchObject({ upToDate: false, embedded: 0, phrasings: 1, problems: [] });
      const after = await ask();
      expect(after.matters[0].matterId).toBe('qy-039');
      expect(after.lexicalTop).toBeGreaterThan(before.lexicalTop);
    } finally {
      fs.rmSync(path.join(kb, 'phrasings'), { recursive: true });
      await ingest({ knowledgeDir: kb, outDir: out, quiet: true });
    }
  });

  it('re-embeds everything when asked to rebuild the model', async () => {
    const rebuilt = await ingest({ knowledgeDir: kb, outDir: out, quiet: true, rebuildModel: true });
    expect(rebuilt).toMatchObject({ modelBuilt: true, embedded: rebuilt.chunks, reused: 0 });
  });

  it('reports a bad guide and builds the rest; --strict fails instead', async () => {
    const bad = tmpDir();
    copyDir('test/fixtures/knowledge', bad);
    fs.writeFileSync(path.join(bad, 'matters', 'wh', 'wh-041.yaml'), 'id: wh-041\nname: 缺字段的指南\n');
    const badOut = tmpDir();
    const r = await ingest({ knowledgeDir: bad, outDir: badOut, quiet: true });
    expect(r.matters).toBe(7);
    expect(r.problems.some((p) => p.file === 'matters/wh/wh-041.yaml' && p.field === 'department')).toBe(true);
    await expect(ingest({ knowledgeDir: bad, outDir: tmpDir(), quiet: true, strict: true })).rejects.toBeInstanceOf(IngestError);
  });

  it('indexes a knowledge folder that has only documents', async () => {
    const docsOnly = tmpDir();
    fs.mkdirSync(path.join(docsOnly, 'docs'));
    fs.copyFileSync('test/fixtures/knowledge/docs/faq.jsonl', path.join(docsOnly, 'docs', 'faq.jsonl'));
    const docsOut = tmpDir();
    const r = await ingest({ knowledgeDir: docsOnly, outDir: docsOut, quiet: true });
    expect(r).toMatchObject({ matters: 0, docs: 2 });
    const retriever = new Retriever(await loadIndex(docsOut));
    const { hits } = await retriever.retrieve('代办要带什么证件', { k: 1 });
    expect(hits[0]).toMatchObject({ matterId: 'faq-proxy', section: 'part-1', name: '代办' });
  });

  it('refuses an empty knowledge folder with a clear error', async () => {
    await expect(ingest({ knowledgeDir: tmpDir(), outDir: tmpDir(), quiet: true })).rejects.toThrow(/没有可用的办事指南或文档/);
  });

  it('ends with a JSON summary on the CLI with --json', () => {
    const r = runCli('ingest/cli.ts', ['--knowledge', kb, '--out', out, '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ matters: 8, docs: 3, chunks: expect.any(Number), upToDate: true });
  });
});

describe('the built-in embedding model', () => {
  it('is a transformers.js model folder whose tokenizer knows every character of common text', () => {
    const dir = path.join(out, FILES.model);
    const tokenizer = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(config.tokenizer_class).toBe('BertTokenizer');
    const vocab = tokenizer.model.vocab as Record<string, number>;
    // Characters that never occur in the 8 fixture guides still have both forms (c and ##c) in the vocabulary.
    for (const ch of '貔貅饕餮龘鑫') {
      if (ch === '龘') continue; // not in GB 2312: the one allowed gap
      expect(vocab[ch], ch).toBeTypeOf('number');
      expect(vocab[`##${ch}`], `##${ch}`).toBeTypeOf('number');
    }
    const tok = new BertTokenizer(tokenizer, config);
    const tokens = tok.tokenize('我家貔貅摆件店想卖熟食，鑫鑫小吃要办什么证？');
    expect(tokens).not.toContain('[UNK]');
    expect(tokens.length).toBeGreaterThan(3);
  });

  it('loads through the transformers.js pipeline and puts related texts closer than unrelated ones', async () => {
    const e = await loadEmbedder(path.join(out, FILES.model));
    const [q, food, birth] = await e.embed(['卖熟食要办的证', '食品经营许可（新办）｜申请材料 食品经营许可申请书', '出生登记（新生儿申报户口）｜办理结果']);
    const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
    expect(Math.hypot(...q)).toBeCloseTo(1, 4);
    expect(cos(q, food)).toBeGreaterThan(cos(q, birth));
  });

  it('gives a zero vector (not NaN) for text it has no token vector for', async () => {
    const e = await loadEmbedder(path.join(out, FILES.model));
    const [v] = await e.embed(['龘龘龘']);
    expect(v.every((x) => x === 0)).toBe(true);
  });
});
