import cliProgress from 'cli-progress';

/** A progress bar on a terminal; plain lines (every 10 %) in CI or when piped. */
export interface Progress {
  start(total: number, label: string): void;
  update(done: number): void;
  stop(): void;
}

export function createProgress(opts: { quiet?: boolean } = {}): Progress {
  if (opts.quiet) return { start() {}, update() {}, stop() {} };
  if (process.stderr.isTTY && !process.env.CI) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: '{label} [{bar}] {value}/{total} {percentage}% ETA {eta}s', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    return {
      start: (total, label) => bar.start(total, 0, { label }),
      update: (done) => bar.update(done),
      stop: () => bar.stop(),
    };
  }
  let total = 0;
  let label = '';
  let lastDecile = -1;
  return {
    start(t, l) {
      total = t;
      label = l;
      lastDecile = -1;
    },
    update(done) {
      const decile = total ? Math.floor((done / total) * 10) : 10;
      if (decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${label}: ${done}/${total}\n`);
      }
    },
    stop() {},
  };
}
