import fs from 'node:fs';
import path from 'node:path';
import type { FeatureExtractionPipeline } from '@huggingface/transformers';

/** Turns texts into unit vectors with a transformers.js feature-extraction pipeline. */
export interface Embedder {
  dims: number;
  pooling: 'mean' | 'cls';
  embed(texts: string[]): Promise<Float32Array[]>;
}

/**
 * Pooling as the model folder says (sentence-transformers' 1_Pooling/config.json; bge models use CLS),
 * mean pooling otherwise.
 */
function poolingOf(modelDir: string): 'mean' | 'cls' {
  const file = path.join(modelDir, '1_Pooling', 'config.json');
  if (!fs.existsSync(file)) return 'mean';
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
  return cfg.pooling_mode_cls_token ? 'cls' : 'mean';
}

/**
 * Loads a local model folder (ours, or any Hugging Face one such as bge-small-zh-v1.5) with the real
 * transformers.js pipeline. Remote models are disabled: nothing is ever downloaded.
 */
export async function loadEmbedder(modelDir: string, opts: { batchSize?: number } = {}): Promise<Embedder> {
  const abs = path.resolve(modelDir);
  if (!fs.existsSync(path.join(abs, 'config.json'))) throw new Error(`embedding model folder not found: ${abs}`);
  // Imported here, not at the top: a server in BM25 mode never loads transformers.js and onnxruntime.
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = path.dirname(abs) + path.sep;
  // pipeline()'s overloads are too complex for tsc to resolve with a literal task (TS2590): call it untyped.
  const load = pipeline as unknown as (task: string, model: string, o: object) => Promise<FeatureExtractionPipeline>;
  const extractor = await load('feature-extraction', path.basename(abs), { dtype: 'fp32', local_files_only: true });
  const cfg = JSON.parse(fs.readFileSync(path.join(abs, 'config.json'), 'utf8'));
  const pooling = poolingOf(abs);
  const batchSize = opts.batchSize ?? 32;
  return {
    dims: cfg.hidden_size,
    pooling,
    async embed(texts: string[]): Promise<Float32Array[]> {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const batch = texts.slice(i, i + batchSize);
        const t = await extractor(batch, { pooling, normalize: true, truncation: true } as never);
        const data = t.data as Float32Array;
        const d = t.dims[t.dims.length - 1];
        for (let r = 0; r < batch.length; r++) {
          const v = data.slice(r * d, (r + 1) * d);
          // A text made only of tokens the model has no vector for normalises to NaN: make it the zero vector.
          if (Number.isNaN(v[0])) v.fill(0);
          out.push(v);
        }
      }
      return out;
    },
  };
}
