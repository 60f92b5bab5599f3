import fs from 'node:fs';
import path from 'node:path';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { BertTokenizer } from '@huggingface/transformers';
import { normalizeText } from '../tokenize.ts';
import { embeddingModelOnnx } from './onnxWriter.ts';
import { csrFromTriples, randomizedSvd } from './svd.ts';

/**
 * The built-in embedding model. No pretrained weights can be downloaded here, so the model is learnt from
 * the knowledge base itself: word vectors from co-occurrence statistics (PPMI over a sliding window and over
 * the matter a word appears in, reduced by truncated SVD), weighted by smooth inverse frequency (SIF), and
 * written as a transformers.js model folder (BERT WordPiece tokenizer + ONNX). Mean pooling of the weighted
 * token vectors is then a SIF sentence embedding. Any Hugging Face model folder can replace it.
 */
export interface BuildModelOptions {
  /** Vector size. */
  dims?: number;
  /** Words on each side that count as co-occurring. */
  window?: number;
  /** A word enters the vocabulary when it occurs at least this often. */
  minCount?: number;
  /** SIF constant: weight(w) = a / (a + p(w)). */
  sifA?: number;
  /** Weight of the matter-context block against the window block. */
  matterWeight?: number;
}

export const MODEL_DEFAULTS: Required<BuildModelOptions> = { dims: 256, window: 5, minCount: 2, sifA: 1e-3, matterWeight: 1 };

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const CJK = /\p{Script=Han}/u;
const WORD_CHAR = /[\p{L}\p{N}]/u;
const PUNCT = /[\p{P}\p{S}\s]/u;

/** The 6,763 hanzi of GB 2312, so any common character in a question has a token (never [UNK]). */
function gb2312Hanzi(): string[] {
  const dec = new TextDecoder('gb18030');
  const out: string[] = [];
  for (let hi = 0xb0; hi <= 0xf7; hi++) {
    for (let lo = 0xa1; lo <= 0xfe; lo++) {
      const ch = dec.decode(new Uint8Array([hi, lo]));
      if (CJK.test(ch) && [...ch].length === 1) out.push(ch);
    }
  }
  return out;
}

/** Vocabulary base tokens: corpus words (jieba), domain words, every character of the corpus and of GB 2312. */
function chooseBaseTokens(texts: string[], domainWords: string[], minCount: number): string[] {
  const jieba = Jieba.withDict(dict);
  const words = new Map<string, number>();
  const chars = new Set<string>();
  for (const t of texts) {
    const norm = normalizeText(t);
    for (const ch of norm) if (WORD_CHAR.test(ch)) chars.add(ch);
    for (const w of jieba.cut(norm, false)) {
      if ([...w].length < 2 || PUNCT.test(w) || !CJK.test(w)) continue;
      words.set(w, (words.get(w) ?? 0) + 1);
    }
  }
  const base = new Set<string>();
  for (let c = 33; c < 127; c++) {
    const ch = String.fromCharCode(c);
    if (!/[A-Z]/.test(ch)) base.add(ch);
  }
  // Punctuation is split off by the pre-tokenizer; it carries no meaning but must not be [UNK].
  for (let c = 0x3000; c <= 0x303f; c++) base.add(String.fromCharCode(c));
  for (let c = 0xff01; c <= 0xff65; c++) base.add(String.fromCharCode(c).toLowerCase());
  for (const ch of '“”‘’…—–·•') base.add(ch);
  for (const ch of [...chars].sort()) base.add(ch);
  for (const ch of gb2312Hanzi()) base.add(ch);
  for (const [w, n] of [...words].sort((a, b) => (a[0] < b[0] ? -1 : 1))) if (n >= minCount) base.add(w);
  for (const w of domainWords) {
    const n = normalizeText(w).replace(/\s+/g, '');
    if ([...n].length >= 2 && !PUNCT.test(n)) base.add(n);
  }
  return [...base];
}

function tokenizerFiles(vocab: Record<string, number>) {
  const added = SPECIAL.map((t) => ({ id: vocab[t], content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    // handle_chinese_chars is off so that a run of Chinese stays one "word" that WordPiece splits greedily
    // into the longest vocabulary words (forward maximum matching); every character is in the vocabulary.
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: false, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [vocab[t]], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 1000, vocab },
  };
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer', do_lower_case: true, tokenize_chinese_chars: false, strip_accents: null,
    model_max_length: 512, clean_up_tokenization_spaces: true,
    cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]',
  };
  return { tokenizer, tokenizerConfig };
}

/** Positive PMI of a count block, with context-distribution smoothing (Levy, Goldberg & Dagan 2015). */
function ppmi(counts: Map<number, number>, rows: number, cols: number, scale: number, colOffset: number, out: { r: number[]; c: number[]; v: number[] }) {
  const rowSum = new Float64Array(rows);
  const colSum = new Float64Array(cols);
  let total = 0;
  for (const [key, n] of counts) {
    const i = Math.floor(key / cols);
    const j = key % cols;
    rowSum[i] += n;
    colSum[j] += n ** 0.75;
    total += n;
  }
  let colTotal = 0;
  for (const s of colSum) colTotal += s;
  for (const [key, n] of counts) {
    const i = Math.floor(key / cols);
    const j = key % cols;
    const pmi = Math.log((n / total) / ((rowSum[i] / total) * (colSum[j] / colTotal)));
    if (pmi > 0) {
      out.r.push(i);
      out.c.push(colOffset + j);
      out.v.push(pmi * scale);
    }
  }
}

export interface BuiltModel {
  dir: string;
  vocabSize: number;
  dims: number;
  ms: number;
}

/**
 * Builds the model from `texts` (one per chunk, with `groups[i]` the matter of text i) into `outDir`.
 * Deterministic: the same corpus and options give the same files.
 */
export async function buildCorpusModel(
  texts: string[],
  groups: string[],
  domainWords: string[],
  outDir: string,
  options: BuildModelOptions = {},
): Promise<BuiltModel> {
  const t0 = performance.now();
  const o = { ...MODEL_DEFAULTS, ...options };
  const base = chooseBaseTokens(texts, domainWords, o.minCount);
  const vocab: Record<string, number> = {};
  SPECIAL.forEach((t) => (vocab[t] = Object.keys(vocab).length));
  const baseOfId: number[] = SPECIAL.map(() => -1);
  base.forEach((t, b) => {
    vocab[t] = baseOfId.length;
    baseOfId.push(b);
    vocab[`##${t}`] = baseOfId.length;
    baseOfId.push(b);
  });
  const vocabSize = baseOfId.length;
  const { tokenizer, tokenizerConfig } = tokenizerFiles(vocab);

  // Count co-occurrences exactly as the model will tokenize: through the transformers.js tokenizer itself.
  const tok = new BertTokenizer(tokenizer, tokenizerConfig);
  const B = base.length;
  const groupIds = new Map<string, number>();
  const windowCounts = new Map<number, number>();
  const matterCounts = new Map<number, number>();
  const freq = new Float64Array(B);
  let tokensSeen = 0;
  texts.forEach((text, ti) => {
    const ids: number[] = tok.encode(text, { add_special_tokens: false });
    const seq = ids.map((id) => baseOfId[id]).filter((b) => b >= 0);
    const g = groupIds.get(groups[ti]) ?? groupIds.set(groups[ti], groupIds.size).get(groups[ti])!;
    for (let i = 0; i < seq.length; i++) {
      const a = seq[i];
      freq[a]++;
      tokensSeen++;
      matterCounts.set(a * 1_000_000 + g, (matterCounts.get(a * 1_000_000 + g) ?? 0) + 1);
      for (let d = 1; d <= o.window && i + d < seq.length; d++) {
        const b = seq[i + d];
        const w = 1 / d;
        windowCounts.set(a * B + b, (windowCounts.get(a * B + b) ?? 0) + w);
        windowCounts.set(b * B + a, (windowCounts.get(b * B + a) ?? 0) + w);
      }
    }
  });
  const G = groupIds.size;
  // Re-key the matter block to rows × G for the PPMI helper.
  const matterBlock = new Map<number, number>();
  for (const [k, n] of matterCounts) matterBlock.set(Math.floor(k / 1_000_000) * G + (k % 1_000_000), n);

  const triples = { r: [] as number[], c: [] as number[], v: [] as number[] };
  ppmi(windowCounts, B, B, 1, 0, triples);
  ppmi(matterBlock, B, G, o.matterWeight, B, triples);
  const m = csrFromTriples(B, B + G, Int32Array.from(triples.r), Int32Array.from(triples.c), Float64Array.from(triples.v));
  const { u, values, k } = randomizedSvd(m, o.dims);

  // Token vector = SIF weight × unit(U·√Σ). Unseen tokens and special tokens stay zero.
  const table = new Float32Array(vocabSize * k);
  const vec = new Float64Array(k);
  for (let id = 0; id < vocabSize; id++) {
    const b = baseOfId[id];
    if (b < 0 || freq[b] === 0) continue;
    let norm = 0;
    for (let c = 0; c < k; c++) {
      vec[c] = u[b * k + c] * Math.sqrt(values[c]);
      norm += vec[c] * vec[c];
    }
    norm = Math.sqrt(norm);
    if (!norm) continue;
    const weight = o.sifA / (o.sifA + freq[b] / tokensSeen);
    for (let c = 0; c < k; c++) table[id * k + c] = (vec[c] / norm) * weight;
  }

  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(outDir, 'onnx'), { recursive: true });
  fs.mkdirSync(path.join(outDir, '1_Pooling'), { recursive: true });
  fs.writeFileSync(path.join(outDir, 'onnx', 'model.onnx'), embeddingModelOnnx(table, vocabSize, k));
  const config = {
    architectures: ['BertModel'], model_type: 'bert', hidden_size: k, num_hidden_layers: 1, num_attention_heads: 1,
    intermediate_size: k, vocab_size: vocabSize, max_position_embeddings: 512, type_vocab_size: 2, pad_token_id: 0,
    hidden_act: 'gelu', layer_norm_eps: 1e-12, transformers_version: '4.40.0',
  };
  fs.writeFileSync(path.join(outDir, 'config.json'), JSON.stringify(config, null, 2));
  fs.writeFileSync(path.join(outDir, 'tokenizer.json'), JSON.stringify(tokenizer));
  fs.writeFileSync(path.join(outDir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2));
  fs.writeFileSync(
    path.join(outDir, 'special_tokens_map.json'),
    JSON.stringify({ cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' }, null, 2),
  );
  fs.writeFileSync(path.join(outDir, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: k, pooling_mode_mean_tokens: true }, null, 2));
  fs.writeFileSync(path.join(outDir, 'vocab.txt'), Object.keys(vocab).join('\n') + '\n');
  fs.writeFileSync(
    path.join(outDir, 'huiban-model.json'),
    JSON.stringify({ kind: 'corpus-ppmi-svd-sif', options: o, baseTokens: B, matters: G, tokensSeen, nonzero: triples.v.length }, null, 2),
  );
  return { dir: outDir, vocabSize, dims: k, ms: performance.now() - t0 };
}
