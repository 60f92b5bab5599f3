import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS, FileProblem, type ExtractLimits, type Extracted } from './limits.ts';

interface Job {
  id: number;
  data: Uint8Array;
  limits: ExtractLimits;
  resolve: (x: Extracted) => void;
  reject: (e: Error) => void;
}

const TIMEOUT = () => new FileProblem('timeout', '这个文件处理时间过长，请压缩图片或拆分文件后重新上传。');
const CRASHED = () => new FileProblem('unreadable', '这个文件无法读取，请重新保存或拍摄后上传。');

/**
 * A bounded pool of extraction worker processes (extractWorker.ts). Files queue; each has a time limit, and a
 * worker that overruns it (or dies on a file) is killed and replaced, so one pathological file never stalls
 * or crashes the service. Workers start on the first file and stay warm (process + OCR models ≈ 1 s).
 */
export class ExtractorPool {
  /** Resolves when a worker has loaded its code (the time limit of a file starts then, not at the fork). */
  private ready = new WeakMap<ChildProcess, Promise<boolean>>();
  private idle: ChildProcess[] = [];
  private busy = new Set<ChildProcess>();
  private queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly size = 1,
    private readonly ocrThreads = 1,
  ) {}

  /** The text of one file (or a FileProblem: unsupported, too-large, timeout, unreadable). */
  extract(data: Uint8Array, limits: ExtractLimits = DEFAULT_LIMITS): Promise<Extracted> {
    if (this.closed) return Promise.reject(new Error('extractor pool closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, data, limits, resolve, reject });
      this.pump();
    });
  }

  /** Files waiting for a worker. */
  get pending() {
    return this.queue.length;
  }

  async close() {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.reject(new Error('extractor pool closed'));
    for (const w of [...this.idle, ...this.busy]) w.kill('SIGKILL');
    this.idle = [];
    this.busy.clear();
  }

  private spawn(): ChildProcess {
    const w = fork(fileURLToPath(new URL('./extractWorker.ts', import.meta.url)), [], {
      env: { ...process.env, HUIBAN_OCR_THREADS: String(this.ocrThreads) },
      // TypeScript through tsx, whatever runs the parent (tsx, vitest, node --import tsx).
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced', // file bytes go over IPC as bytes, not JSON
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    // An idle worker never keeps the service (or a script) alive; a running job's timer does.
    w.unref();
    w.channel?.unref();
    w.on('error', () => {}); // reported through 'exit' to the job, if any
    w.once('exit', () => (this.idle = this.idle.filter((x) => x !== w)));
    this.ready.set(
      w,
      new Promise<boolean>((resolve) => {
        const startup = setTimeout(() => resolve(false), 60_000);
        const done = (ok: boolean) => {
          clearTimeout(startup);
          w.off('message', onReady);
          resolve(ok);
        };
        const onReady = (m: { ready?: boolean }) => m?.ready && done(true);
        w.on('message', onReady);
        w.once('exit', () => done(false));
      }),
    );
    return w;
  }

  private pump() {
    while (this.queue.length && (this.idle.length || this.busy.size < this.size)) {
      const job = this.queue.shift()!;
      void this.run(this.idle.pop() ?? this.spawn(), job);
    }
  }

  private async run(worker: ChildProcess, job: Job) {
    this.busy.add(worker);
    if (!(await this.ready.get(worker))) {
      this.busy.delete(worker);
      worker.kill('SIGKILL');
      job.reject(CRASHED());
      this.pump();
      return;
    }
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
    const onMessage = (msg: { id?: number; result?: Extracted; problem?: { reason: FileProblem['reason']; advice: string }; error?: string }) => {
      if (msg.id !== job.id || settled) return;
      finish(true);
      if (msg.result) job.resolve(msg.result);
      else if (msg.problem) job.reject(new FileProblem(msg.problem.reason, msg.problem.advice));
      else job.reject(CRASHED());
    };
    const onExit = () => {
      if (settled) return;
      finish(false);
      job.reject(CRASHED());
    };
    const timer = setTimeout(() => {
      if (settled) return;
      finish(false); // killed: the next file gets a fresh worker
      job.reject(TIMEOUT());
    }, job.limits.timeoutMs);
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    try {
      worker.send({ id: job.id, data: job.data, limits: job.limits });
    } catch {
      finish(false);
      job.reject(CRASHED());
    }
  }
}
