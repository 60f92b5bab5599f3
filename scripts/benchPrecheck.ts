/**
 * Pre-check benchmark: a 3-file pre-check (a text PDF, a DOCX and one phone photo that needs OCR) against the
 * real server (a child process, as in production), timed over repeated runs, with the server's RSS; and the
 * chat latency (/api/ask) while pre-checks run, against idle chat latency measured in the same run.
 *
 *   npx tsx scripts/benchPrecheck.ts [--index DIR] [--runs N]      (also part of `npm run bench`)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { percentile } from '../evals/metrics.ts';
import { readPrecheckCases } from '../evals/precheckEval.ts';
import { benchQuestions, RssSampler, startServer, stopServer, vmHwmMB } from './benchHttp.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CASES = path.join(ROOT, 'evals', 'datasets', 'precheck.jsonl');
const log = (line: string) => process.stderr.write(`${line}\n`);
const round = (x: number) => Math.round(x * 10) / 10;

export interface PrecheckBenchReport {
  matterId: string;
  files: { name: string; kind: string; kB: number }[];
  runs: number;
  precheckMs: { p50: number; p95: number; max: number };
  /** /api/ask latency with nothing else running, then while pre-checks run back to back. */
  chatIdleMs: { p50: number; p95: number; n: number };
  chatDuringMs: { p50: number; p95: number; n: number };
  /** chatDuring p95 / chatIdle p95 (target ≤ 2). */
  chatSlowdownP95: number;
  serverIdleRssMB: number;
  serverPeakRssMB: number;
  serverVmHwmMB?: number;
  /** RSS of the server's child processes (the extraction worker with its OCR models) after the runs. */
  workersRssMB: number;
}

/** Summed RSS of a process's children (ps), in MB. */
function childrenRssMB(pid: number): number {
  try {
    const out = execFileSync('ps', ['-o', 'rss=', '--ppid', String(pid)], { encoding: 'utf8' });
    return round(out.split('\n').reduce((a, l) => a + (Number.parseInt(l.trim(), 10) || 0), 0) / 1024);
  } catch {
    return 0;
  }
}

const kindOf = (f: string) => (/\.(jpe?g|png|webp)$/i.test(f) ? 'photo' : /\.pdf$/i.test(f) ? 'pdf' : /\.docx$/i.test(f) ? 'docx' : 'other');

/** The issue's walk-through shape: from the food-business licence cases, one PDF, one DOCX and one photo. */
function pickFiles(): { matterId: string; files: string[] } {
  const cases = readPrecheckCases(CASES);
  for (const c of cases) {
    const usable = c.files.filter((f) => !(c.unmatched ?? []).includes(path.basename(f)));
    const pick = ['pdf', 'docx', 'photo'].map((k) => usable.find((f) => kindOf(f) === k));
    if (pick.every(Boolean)) return { matterId: c.matterId, files: pick as string[] };
  }
  throw new Error(`no case in ${CASES} has a PDF, a DOCX and a photo`);
}

const stats = (xs: number[]) => ({ p50: round(percentile(xs, 50)), p95: round(percentile(xs, 95)), n: xs.length });

async function askLoop(base: string, questions: string[], until: () => boolean, gapMs: number): Promise<number[]> {
  const times: number[] = [];
  let i = 0;
  while (!until()) {
    const t = performance.now();
    const res = await fetch(`${base}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: questions[i++ % questions.length] }) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`/api/ask answered ${res.status}`);
    times.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return times;
}

export async function runPrecheckBench(opts: { indexDir: string; runs?: number }): Promise<PrecheckBenchReport> {
  const runs = opts.runs ?? 20;
  const { matterId, files } = pickFiles();
  const bodies = files.map((f) => ({ name: path.basename(f), data: fs.readFileSync(path.join(ROOT, f)) }));
  const form = () => {
    const fd = new FormData();
    fd.append('matterId', matterId);
    for (const b of bodies) fd.append('files', new File([b.data], b.name));
    return fd;
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'huiban-bench-precheck-'));
  const server = await startServer(opts.indexDir, dataDir);
  const rss = new RssSampler(server.child.pid!);
  try {
    const questions = benchQuestions(50);
    const idleRss = (await rss.sample()) / 1024;
    rss.start();
    // Warm-up: the OCR worker starts on the first photo; chat caches warm.
    for (let i = 0; i < 2; i++) await (await fetch(`${server.base}/api/precheck`, { method: 'POST', body: form() })).arrayBuffer();
    let stop = Date.now() + 8000;
    const idle = await askLoop(server.base, questions, () => Date.now() > stop, 50);

    const times: number[] = [];
    let done = false;
    const during = askLoop(server.base, questions, () => done, 50);
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const res = await fetch(`${server.base}/api/precheck`, { method: 'POST', body: form() });
      const report = (await res.json()) as { materials?: unknown[] };
      if (!res.ok || !report.materials) throw new Error(`/api/precheck answered ${res.status}`);
      times.push(performance.now() - t);
    }
    done = true;
    const workersRss = childrenRssMB(server.child.pid!);
    const busy = await during;
    stop = 0;
    rss.stop();
    const peak = await rss.window();
    const i95 = percentile(idle, 95);
    return {
      matterId,
      files: bodies.map((b) => ({ name: b.name, kind: kindOf(b.name), kB: round(b.data.length / 1024) })),
      runs,
      precheckMs: { p50: round(percentile(times, 50)), p95: round(percentile(times, 95)), max: round(Math.max(...times)) },
      chatIdleMs: stats(idle),
      chatDuringMs: stats(busy),
      chatSlowdownP95: round(percentile(busy, 95) / i95),
      serverIdleRssMB: round(idleRss),
      serverPeakRssMB: Math.max(peak, round(rss.peakKB / 1024)),
      serverVmHwmMB: vmHwmMB(server.child.pid!),
      workersRssMB: workersRss,
    };
  } finally {
    rss.stop();
    await stopServer(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatPrecheckBench(r: PrecheckBenchReport): string {
  return [
    `Pre-check (${r.matterId}; ${r.files.map((f) => `${f.name} ${f.kind} ${f.kB} KB`).join(', ')}), ${r.runs} runs over HTTP:`,
    `  latency p50 ${r.precheckMs.p50} ms, p95 ${r.precheckMs.p95} ms, max ${r.precheckMs.max} ms (target p95 < 3000 ms)`,
    `  /api/ask idle p50 ${r.chatIdleMs.p50} / p95 ${r.chatIdleMs.p95} ms (n ${r.chatIdleMs.n}); during pre-checks p50 ${r.chatDuringMs.p50} / p95 ${r.chatDuringMs.p95} ms (n ${r.chatDuringMs.n}): ×${r.chatSlowdownP95} at p95 (target ≤ 2)`,
    `  server RSS idle ${r.serverIdleRssMB} MB, peak ${r.serverPeakRssMB} MB${r.serverVmHwmMB ? `, VmHWM ${r.serverVmHwmMB} MB` : ''}; extraction worker process ${r.workersRssMB} MB`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (n: string) => {
    const i = process.argv.indexOf(n);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const indexDir = arg('--index') ?? path.join(ROOT, '.index');
  const r = await runPrecheckBench({ indexDir, runs: Number(arg('--runs') ?? 20) });
  console.log(formatPrecheckBench(r));
  fs.writeFileSync(path.join(ROOT, 'evals', 'reports', 'bench-precheck-latest.json'), `${JSON.stringify(r, null, 2)}\n`);
  log('JSON: evals/reports/bench-precheck-latest.json');
}
