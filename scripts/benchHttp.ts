import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon, { type Options, type Request, type Result } from 'autocannon';
import { mean, percentile } from '../evals/metrics.ts';
import { readRows } from '../evals/rows.ts';

/**
 * The HTTP load run of `npm run bench` (also `node --max-semi-space-size=64 --import tsx scripts/benchHttp.ts
 * [--index .index] [--duration 10] [--json]`): the real service in a child process started with `npm start`'s
 * own node arguments (its own event loop and core), rate limit off, ~50 rotating
 * dev-set questions. Runs after a 3 s warm-up: /api/ask closed loop (50 connections), /api/ask autocannon
 * overallRate 200/s (50 connections), /api/ask paced at 200/s and 100/s (own client, evenly spaced sends),
 * /api/chat closed loop (20 connections, read to the end of the stream). Measurements, never assertions.
 *
 * The load generator shares the 2 cores with the server, so its own garbage collection is server time lost:
 * with node's default young generation autocannon's GC held the server at ~590 req/s (overallRate 200/s p95
 * 116–131 ms); with a 64 MB semi-space for this process (the server's flags unchanged) 631–828 req/s, p95 74–117
 * ms over five runs then (docs/adr/0009-request-path-under-load.md has those and the later figures).
 *
 * Latency percentiles are computed here, exactly (nearest rank), from every response time autocannon
 * reports (its `response` event); autocannon's own histogram only offers p50/p90/p97.5/p99, and in
 * fixed-rate mode its coordinated-omission correction uses an expected interval of ceil(1 / per-connection
 * rate) = 1 ms, which fills the histogram with synthetic values — so that run turns the correction off and
 * the report says so.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEV = path.join(ROOT, 'evals', 'datasets', 'dev.jsonl');
const QUESTIONS = 50;
const WARMUP_SEC = 3;
const START_TIMEOUT_MS = 120_000;
const RSS_EVERY_MS = 500;
/** A measured autocannon run lasts until `durationSec` after its ramp-up, but at most this much longer. */
const RAMP_CAP_SEC = 20;

const log = (line: string) => process.stderr.write(`${line}\n`);
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

// ── report shape ─────────────────────────────────────────────────────────────────────────────────────────────

export interface LatencyStats {
  /** How many response times the percentiles are computed from (all responses, 2xx or not). */
  n: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface HttpRun {
  name: string;
  path: string;
  /** closed loop: each connection sends its next request when the previous one is answered. */
  mode: 'closed loop' | 'overallRate' | 'paced';
  connections: number;
  targetRate?: number;
  durationSec: number;
  /** Mean of autocannon's per-second samples of completed requests. */
  reqPerSec: number;
  completed: number;
  /** Milliseconds, exact percentiles over every response of the run. */
  latency: LatencyStats;
  /** autocannon's own histogram (ms), for comparison; p95 is not among its percentiles. */
  autocannonLatency?: { p50: number; p90: number; p97_5: number; p99: number; samples: number };
  /**
   * Seconds from the start of the run until every connection had its first answer. A saturated Node server
   * accepts one new connection per event-loop turn, so the last of 50 connections opened at once waits
   * seconds; those first requests dominate the whole-run tail. Paced run: the time it took to open its
   * connections before the timed window.
   */
  rampUpSec?: number;
  /** The same measures over the responses after the ramp-up only (what a kept-alive client sees). */
  steady?: { windowSec: number; reqPerSec: number; latency: LatencyStats };
  non2xx: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Peak RSS of the server process during this run (sampled every 500 ms). */
  serverPeakRssMB: number;
  /** /api/ask only: the pipeline's own `timings` (ms, mean over the 200 answers), i.e. time inside the handler. */
  serverTimingsMean?: Record<string, number>;
  /** /api/ask only: percentiles of the pipeline's `timings.total` (ms). */
  serverPipelineTotal?: { p50: number; p95: number; p99: number };
  note?: string;
}

export interface HttpBenchReport {
  at: string;
  indexDir: string;
  questions: number;
  warmupSec: number;
  /** Measured seconds per run: after the ramp-up for the autocannon runs, the send window for the paced ones. */
  durationSec: number;
  /** From spawn to the first healthy /healthz (includes an index build when the index is missing or stale). */
  serverStartMs: number;
  serverIdleRssMB: number;
  /** The highest RSS sample (ps, every 500 ms) over the whole load run. */
  serverPeakRssMB: number;
  /** The kernel's high-water mark of the server's RSS (VmHWM), when /proc is there: catches spikes between samples. */
  serverVmHwmMB?: number;
  /** Lines the server printed during the load runs (errors are logged one line each). */
  serverLogLines: number;
  runs: HttpRun[];
  totalMs: number;
}

// ── the server child ─────────────────────────────────────────────────────────────────────────────────────────

/** A port nobody listens on: listen on 0, read it, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Server {
  child: ChildProcess;
  base: string;
  startMs: number;
  /** The last lines of its output, for the error message when it dies. */
  tail: string[];
  /** Lines printed after it became healthy. */
  linesAfterReady: () => number;
}

/** The arguments `npm start` gives node (its heap cap included), so the bench measures that very server. */
export function startArgs(): string[] {
  const start: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const [cmd, ...args] = start.trim().split(/\s+/);
  if (cmd !== 'node') throw new Error(`npm start is expected to run node, not: ${start}`);
  return args;
}

export async function startServer(indexDir: string, dataDir: string): Promise<Server> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, startArgs(), {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', INDEX_DIR: indexDir, DATA_DIR: dataDir, RATE_LIMIT_PER_MIN: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  let ready = false;
  let after = 0;
  const onData = (buf: Buffer) => {
    for (const line of buf.toString('utf8').split(/\r?\n|\r/)) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (ready) after++;
      else log(`[server] ${line}`);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) before answering /healthz:\n${tail.join('\n')}`);
    }
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) {
        await res.arrayBuffer();
        ready = true;
        return { child, base, startMs: Math.round(performance.now() - t0), tail, linesAfterReady: () => after };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stopServer(child);
  throw new Error(`the server did not answer /healthz within ${START_TIMEOUT_MS / 1000} s:\n${tail.join('\n')}`);
}

/** SIGTERM (the server closes its store and exits), SIGKILL after 5 s. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

function assertAlive(server: Server): void {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new Error(`the server died during the load run (${child.exitCode ?? child.signalCode}):\n${server.tail.join('\n')}`);
  }
}

// ── RSS sampling ─────────────────────────────────────────────────────────────────────────────────────────────

/** `ps -o rss= -p <pid>` every 500 ms; the peak overall and since the last `window()`. */
export class RssSampler {
  private timer?: NodeJS.Timeout;
  private pending = false;
  peakKB = 0;
  private windowKB = 0;

  constructor(private readonly pid: number) {}

  sample(): Promise<number> {
    return new Promise((resolve) => {
      execFile('ps', ['-o', 'rss=', '-p', String(this.pid)], (err, stdout) => {
        const kb = err ? 0 : Number.parseInt(stdout.trim(), 10) || 0;
        this.peakKB = Math.max(this.peakKB, kb);
        this.windowKB = Math.max(this.windowKB, kb);
        resolve(kb);
      });
    });
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.pending) return; // a slow ps under load: skip rather than pile up
      this.pending = true;
      void this.sample().finally(() => (this.pending = false));
    }, RSS_EVERY_MS);
  }

  /** The peak since the previous call, in MB (one last sample first, so a short run has at least one). */
  async window(): Promise<number> {
    await this.sample();
    const kb = this.windowKB;
    this.windowKB = 0;
    return round(kb / 1024);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** VmHWM (peak resident set) from /proc, Linux only. */
export function vmHwmMB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

// ── requests ─────────────────────────────────────────────────────────────────────────────────────────────────

/** ~50 questions spread evenly over the dev set (all its splits), so requests differ like real traffic. */
export function benchQuestions(n = QUESTIONS): string[] {
  const rows = readRows(DEV).filter((r) => !r.history?.length);
  const step = rows.length / Math.min(n, rows.length);
  return Array.from({ length: Math.min(n, rows.length) }, (_, i) => rows[Math.floor(i * step)].question);
}

const askBody = (question: string) => Buffer.from(JSON.stringify({ question }));

/** The body DefaultChatTransport (AI SDK v5) sends for a new conversation's first message. */
const chatBody = (question: string, i: number) =>
  Buffer.from(
    JSON.stringify({
      id: `bench-${i}`,
      messages: [{ id: `m-${i}`, role: 'user', parts: [{ type: 'text', text: question }] }],
      trigger: 'submit-message',
    }),
  );

const HEADERS = { 'content-type': 'application/json' };

/**
 * One autocannon request whose body is the next of `bodies`, shared by all connections (a global counter,
 * so the 50 connections do not all start on the same question).
 */
function rotating(urlPath: string, bodies: Buffer[], onResponse?: Request['onResponse']): Request {
  let i = 0;
  return {
    method: 'POST',
    path: urlPath,
    headers: HEADERS,
    setupRequest: (req) => {
      req.body = bodies[i++ % bodies.length];
      return req;
    },
    onResponse,
  };
}

/** Collects the pipeline's `timings` from /api/ask answers (ms per step, summed). */
class TimingCollector {
  private sums: Record<string, number> = {};
  private n = 0;
  private totals: number[] = [];
  readonly onResponse: Request['onResponse'] = (status, body) => {
    if (status !== 200) return;
    try {
      const t = (JSON.parse(body) as { timings?: Record<string, number> }).timings ?? {};
      for (const [k, v] of Object.entries(t)) this.sums[k] = (this.sums[k] ?? 0) + v;
      if (typeof t.total === 'number') this.totals.push(t.total);
      this.n++;
    } catch {
      // not an answer
    }
  };
  means(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.sums).map(([k, v]) => [k, round(v / Math.max(1, this.n), 2)]));
  }
  total(): { p50: number; p95: number; p99: number } {
    const sorted = [...this.totals].sort((a, b) => a - b);
    return { p50: round(percentile(sorted, 50), 2), p95: round(percentile(sorted, 95), 2), p99: round(percentile(sorted, 99), 2) };
  }
}

function latencyStats(times: number[]): LatencyStats {
  const sorted = [...times].sort((a, b) => a - b);
  const p = (q: number) => round(percentile(sorted, q), 1);
  return { n: times.length, p50: p(50), p90: p(90), p95: p(95), p99: p(99), max: round(sorted.at(-1) ?? 0, 1), mean: round(mean(times), 1) };
}

interface RunSpec {
  name: string;
  path: string;
  mode: HttpRun['mode'];
  connections: number;
  overallRate?: number;
  requests: Request[];
  timings?: TimingCollector;
  note?: string;
}

/** One response: when it completed (ms since the run started) and its latency (ms). */
interface Sample {
  at: number;
  ms: number;
}

interface CannonRun {
  result: Result;
  samples: Sample[];
  /** When every connection had had its first answer (ms since the start), if that happened. */
  rampEndMs?: number;
  endMs: number;
}

/**
 * An autocannon run. With `steady`, it lasts until `durationSec` after the ramp-up (every connection
 * answered once), at most `durationSec + RAMP_CAP_SEC`; otherwise exactly `durationSec`.
 */
async function cannon(base: string, spec: RunSpec, durationSec: number, steady = false): Promise<CannonRun> {
  const opts: Options = {
    url: base,
    connections: spec.connections,
    duration: steady ? durationSec + RAMP_CAP_SEC : durationSec,
    requests: spec.requests,
    timeout: 30,
    title: spec.name,
  };
  if (spec.overallRate) {
    opts.overallRate = spec.overallRate;
    opts.ignoreCoordinatedOmission = true;
  }
  const t0 = performance.now();
  const instance = autocannon(opts);
  const samples: Sample[] = [];
  const seen = new Set<unknown>();
  let rampEndMs: number | undefined;
  let stopTimer: NodeJS.Timeout | undefined;
  instance.on('response', (client: unknown, _status: number, _bytes: number, ms: number) => {
    const at = performance.now() - t0;
    samples.push({ at, ms });
    if (rampEndMs === undefined && !seen.has(client)) {
      seen.add(client);
      if (seen.size === spec.connections) {
        rampEndMs = at;
        if (steady) stopTimer = setTimeout(() => instance.stop(), durationSec * 1000);
      }
    }
  });
  instance.on('error', () => {}); // surfaced through the promise
  const result = await instance.then((r) => r, (err: unknown) => {
    clearTimeout(stopTimer);
    throw err;
  });
  clearTimeout(stopTimer);
  return { result, samples, rampEndMs, endMs: performance.now() - t0 };
}

async function measure(server: Server, rss: RssSampler, spec: RunSpec, durationSec: number): Promise<HttpRun> {
  log(`http: ${spec.name} (${durationSec} s after the ramp-up)…`);
  await rss.window(); // start a new RSS window
  const { result, samples, rampEndMs, endMs } = await cannon(server.base, spec, durationSec, true);
  assertAlive(server);
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const after = rampEndMs === undefined ? [] : samples.filter((x) => x.at > rampEndMs);
  const windowSec = rampEndMs === undefined ? 0 : (endMs - rampEndMs) / 1000;
  return {
    name: spec.name,
    path: spec.path,
    mode: spec.mode,
    connections: result.connections,
    targetRate: spec.overallRate,
    durationSec: result.duration,
    reqPerSec: round(result.requests.average, 1),
    completed: samples.length,
    latency: latencyStats(samples.map((x) => x.ms)),
    autocannonLatency: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p97_5: result.latency.p97_5,
      p99: result.latency.p99,
      samples: result.latency.totalCount ?? 0,
    },
    rampUpSec: rampEndMs === undefined ? undefined : round(rampEndMs / 1000, 2),
    steady: after.length ? { windowSec: round(windowSec, 2), reqPerSec: round(after.length / windowSec, 1), latency: latencyStats(after.map((x) => x.ms)) } : undefined,
    non2xx: result.non2xx,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    serverPeakRssMB: await rss.window(),
    serverTimingsMean: spec.timings?.means(),
    serverPipelineTotal: spec.timings?.total(),
    note: spec.note,
  };
}

/**
 * An open-loop run at `rate` requests/s with evenly spaced send times (autocannon's overallRate sends each
 * connection's share back to back at the start of every second, i.e. bursts). Latency is measured from the
 * scheduled send time, so time spent waiting for a free connection counts (no coordinated omission). The
 * connections are opened (GET /healthz on each, server idle) before the timed window, so it measures the
 * steady state; after the last send, in-flight requests get at most `durationSec` more, then count as errors.
 */
async function paced(server: Server, rss: RssSampler, name: string, urlPath: string, bodies: Buffer[], rate: number, connections: number, durationSec: number): Promise<HttpRun> {
  log(`http: ${name} (${durationSec} s)…`);
  await rss.window();
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL(urlPath, server.base);
  const times: number[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  const total = Math.round(rate * durationSec);
  const interval = 1000 / rate;
  const perSecond = new Map<number, number>();

  // Open the connections first (the agent keeps them): a saturated server accepts one per event-loop turn.
  const tOpen = performance.now();
  const healthz = new URL('/healthz', server.base);
  await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<void>((resolve) => {
          const req = http.get(healthz, { agent }, (res) => res.resume().on('end', () => resolve()));
          req.on('error', () => resolve());
        }),
    ),
  );
  const openSec = round((performance.now() - tOpen) / 1000, 2);

  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  let finished = false;

  const send = (i: number, scheduled: number) =>
    new Promise<void>((resolve) => {
      const body = bodies[i % bodies.length];
      const req = http.request(url, { method: 'POST', agent, headers: { ...HEADERS, 'content-length': String(body.length) }, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (finished) return resolve();
          const done = performance.now();
          times.push(done - scheduled);
          statusCodes[res.statusCode ?? 0] = (statusCodes[res.statusCode ?? 0] ?? 0) + 1;
          const sec = Math.floor((done - t0) / 1000);
          perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
          resolve();
        });
      });
      req.on('timeout', () => {
        timeouts++;
        req.destroy(new Error('timeout'));
      });
      req.on('error', () => {
        if (!finished) errors++;
        resolve();
      });
      req.end(body);
    });

  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // every request whose time has come (catches up after a late timer instead of drifting)
      while (i < total && t0 + i * interval <= now) {
        inFlight.push(send(i, t0 + i * interval));
        i++;
      }
      if (i >= total) return resolve();
      setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
    };
    tick();
  });
  // Bounded drain: what is still unanswered after another durationSec counts as an error.
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(inFlight), new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, durationSec * 1000)))]);
  clearTimeout(drainTimer);
  finished = true;
  const elapsed = (performance.now() - t0) / 1000;
  const unfinished = total - times.length - errors;
  errors += unfinished;
  agent.destroy();
  assertAlive(server);
  const full = [...perSecond.entries()].filter(([sec]) => sec < Math.floor(elapsed)).map(([, n]) => n);
  const non2xx = Object.entries(statusCodes).filter(([c]) => !c.startsWith('2')).reduce((s, [, n]) => s + n, 0);
  return {
    name,
    path: urlPath,
    mode: 'paced',
    connections,
    targetRate: rate,
    durationSec: round(elapsed, 2),
    reqPerSec: round(full.length ? mean(full) : times.length / elapsed, 1),
    completed: times.length,
    latency: latencyStats(times),
    rampUpSec: openSec,
    non2xx,
    statusCodes,
    errors,
    timeouts,
    serverPeakRssMB: await rss.window(),
    note:
      `own node:http client, one request every ${interval} ms over ${connections} kept-alive connections opened beforehand (${openSec} s), ` +
      `latency from the scheduled send time${unfinished ? `; ${unfinished} requests unanswered after the drain (counted as errors)` : ''}`,
  };
}

// ── the whole run ────────────────────────────────────────────────────────────────────────────────────────────

export async function runHttpBench(opts: { indexDir: string; durationSec?: number }): Promise<HttpBenchReport> {
  const t0 = performance.now();
  const durationSec = opts.durationSec ?? 10;
  const indexDir = path.resolve(opts.indexDir);
  const questions = benchQuestions();
  const asks = questions.map(askBody);
  const chats = questions.map(chatBody);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'huiban-bench-http-'));
  let server: Server | undefined;
  let rss: RssSampler | undefined;
  try {
    log(`http: starting the server (index ${indexDir})…`);
    server = await startServer(indexDir, dataDir);
    log(`http: server healthy after ${server.startMs} ms`);
    rss = new RssSampler(server.child.pid!);
    const idleRss = round((await rss.sample()) / 1024);
    rss.start();

    // Warm-up (not reported): both endpoints, so JIT, caches and the stream code are warm for every run.
    log(`http: warm-up (${WARMUP_SEC} s)…`);
    const { result: warm } = await cannon(
      server.base,
      { name: 'warm-up', path: '/api/ask + /api/chat', mode: 'closed loop', connections: 20, requests: [rotating('/api/ask', asks), rotating('/api/chat', chats)] },
      WARMUP_SEC,
    );
    assertAlive(server);
    if (warm['2xx'] === 0) throw new Error(`warm-up: no 2xx answer (status codes ${JSON.stringify(warm.statusCodeStats)}, ${warm.errors} errors)`);

    const runs: HttpRun[] = [];
    const askTimings = new TimingCollector();
    runs.push(
      await measure(
        server,
        rss,
        { name: 'ask, closed loop', path: '/api/ask', mode: 'closed loop', connections: 50, requests: [rotating('/api/ask', asks, askTimings.onResponse)], timings: askTimings },
        durationSec,
      ),
    );
    runs.push(
      await measure(
        server,
        rss,
        {
          name: 'ask, overallRate 200/s',
          path: '/api/ask',
          mode: 'overallRate',
          connections: 50,
          overallRate: 200,
          requests: [rotating('/api/ask', asks)],
          note:
            'autocannon gives each connection 4 requests per second and sends them back to back from the start of each second (so the load arrives as bursts of 50 concurrent requests, not evenly spaced); ' +
            'its coordinated-omission correction is off because it uses an expected interval of ceil(1 / 4) = 1 ms, which would add ~latency-in-ms synthetic samples per response',
        },
        durationSec,
      ),
    );
    runs.push(await paced(server, rss, 'ask, paced 200/s', '/api/ask', asks, 200, 50, durationSec));
    // Below the closed-loop capacity: the latency of an unsaturated server.
    runs.push(await paced(server, rss, 'ask, paced 100/s', '/api/ask', asks, 100, 50, durationSec));
    runs.push(
      await measure(
        server,
        rss,
        { name: 'chat (SSE), closed loop', path: '/api/chat', mode: 'closed loop', connections: 20, requests: [rotating('/api/chat', chats)], note: 'latency = until the end of the stream' },
        durationSec,
      ),
    );
    rss.stop();
    const hwm = vmHwmMB(server.child.pid!);
    return {
      at: new Date().toISOString(),
      indexDir,
      questions: questions.length,
      warmupSec: WARMUP_SEC,
      durationSec,
      serverStartMs: server.startMs,
      serverIdleRssMB: idleRss,
      serverPeakRssMB: round(rss.peakKB / 1024),
      serverVmHwmMB: hwm,
      serverLogLines: server.linesAfterReady(),
      runs,
      totalMs: Math.round(performance.now() - t0),
    };
  } finally {
    rss?.stop();
    if (server) await stopServer(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// ── output ───────────────────────────────────────────────────────────────────────────────────────────────────

/** A Markdown table; a column is right-aligned when it holds numbers only (as in scripts/bench.ts). */
function table(head: string[], rows: (string | number)[][]): string {
  const numeric = head.map((_, i) => rows.every((row) => /^-?[\d.]+$/.test(String(row[i]))));
  return [`| ${head.join(' | ')} |`, `|${numeric.map((n) => (n ? '---:' : '---')).join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

const ms = (x: number) => x.toFixed(1);

/** The load runs as Markdown. */
export function formatHttpBench(r: HttpBenchReport): string {
  const whole = table(
    ['run', 'conns', 'req/s (mean)', 'p50 ms', 'p90 ms', 'p95 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'server peak RSS MB'],
    r.runs.map((run) => [
      run.name,
      run.connections,
      run.reqPerSec.toFixed(1),
      ms(run.latency.p50),
      ms(run.latency.p90),
      ms(run.latency.p95),
      ms(run.latency.p99),
      ms(run.latency.max),
      run.non2xx,
      run.errors + (run.timeouts ? ` (${run.timeouts} timeouts)` : ''),
      run.serverPeakRssMB.toFixed(1),
    ]),
  );
  const steady = table(
    ['run', 'ramp-up s', 'window s', 'req/s', 'p50 ms', 'p90 ms', 'p95 ms', 'p99 ms', 'max ms'],
    r.runs.map((run) => {
      const st = run.mode === 'paced' ? { windowSec: run.durationSec, reqPerSec: run.reqPerSec, latency: run.latency } : run.steady;
      const ramp = run.rampUpSec === undefined ? 'not finished' : run.rampUpSec.toFixed(2);
      if (!st) return [run.name, ramp, '–', '–', '–', '–', '–', '–', '–'];
      return [run.name, ramp, st.windowSec.toFixed(1), st.reqPerSec.toFixed(1), ms(st.latency.p50), ms(st.latency.p90), ms(st.latency.p95), ms(st.latency.p99), ms(st.latency.max)];
    }),
  );
  const ask = r.runs.find((x) => x.serverTimingsMean);
  const timings =
    ask?.serverTimingsMean && ask.serverPipelineTotal
      ? `Inside the /api/ask handler (the answers' own \`timings\`, run “${ask.name}”): total p50 ${ask.serverPipelineTotal.p50} / ` +
        `p95 ${ask.serverPipelineTotal.p95} / p99 ${ask.serverPipelineTotal.p99} ms; mean per step ` +
        Object.entries(ask.serverTimingsMean)
          .filter(([k]) => k !== 'total')
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') +
        ' ms. The rest of the latency is queueing on the one event loop (and HTTP, JSON, SQLite, GC).'
      : '';
  const notes = r.runs.filter((x) => x.note).map((x) => `- ${x.name}: ${x.note}.`);
  return [
    `## HTTP load (server in a child process, rate limit off, ${r.questions} rotating dev questions, ${r.warmupSec} s warm-up, ${r.durationSec} s per run after its ramp-up)`,
    '',
    'Whole run: every response. Percentiles are exact (nearest rank) over the per-response times autocannon reports ' +
      '(autocannon itself only offers p50/p90/p97.5/p99); req/s is the mean of its per-second samples.',
    '',
    whole,
    '',
    'After the ramp-up: only the responses after every connection had its first answer (the server accepts one new ' +
      'connection per event-loop turn, so under saturation the last of 50 connections opened together waits seconds). ' +
      'The paced run opens its connections before the timed window, so its whole run is already steady.',
    '',
    steady,
    '',
    timings,
    ...notes,
    '',
    `Server: healthy ${r.serverStartMs} ms after spawn; RSS idle ${r.serverIdleRssMB} MB, peak ${r.serverPeakRssMB} MB (ps every ${RSS_EVERY_MS} ms)` +
      (r.serverVmHwmMB !== undefined ? `, VmHWM ${r.serverVmHwmMB} MB` : '') +
      `; ${r.serverLogLines} log lines during the load. HTTP bench ${(r.totalMs / 1000).toFixed(1)} s.`,
  ]
    .filter((line, i, all) => line !== '' || (i > 0 && all[i - 1] !== ''))
    .join('\n');
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const duration = arg('--duration');
  const report = await runHttpBench({ indexDir: arg('--index') ?? path.join(ROOT, '.index'), durationSec: duration ? Number(duration) : undefined });
  console.log(formatHttpBench(report));
  if (process.argv.includes('--json')) console.log(JSON.stringify(report, null, 2));
}
