/**
 * Widget figures: the bundle's gzipped size, and the time from sending a question to the first answer text
 * visible in the widget (extractive mode, real service in-process, host page on another origin, Debian's
 * Chromium). `npm run bench:widget`; writes test-results/bench-widget.json.
 */
import fs from 'node:fs';
import { bundle, gzipSize } from '../widgets/build.ts';
import { hasChromium, launchBrowser, startServers } from '../test/browser/harness.ts';

const QUESTIONS = [
  '开奶茶店办食品经营许可证要准备什么材料',
  '失业金申领要多久',
  '我想给孩子报户口要带什么材料',
  '租房提取公积金怎么办',
  '身份证到期了怎么换领',
  '个体工商户营业执照要什么材料',
  '社保缴费记录怎么打印',
  '办居住证要多久',
  '结婚登记要带什么',
  '护照首次申领要多久',
];
const ROUNDS = 3;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)].toFixed(1));
};

const js = await bundle('widget');
const result: Record<string, unknown> = { bundleBytes: js.length, bundleGzipBytes: gzipSize(js) };
console.log(`widget.js: ${(js.length / 1024).toFixed(1)} KB, gzip ${(gzipSize(js) / 1024).toFixed(1)} KB (limit 60 KB)`);

if (!hasChromium) {
  console.log('first-token timing skipped: /usr/bin/chromium is missing (apt-get install -y chromium fonts-noto-cjk).');
} else {
  const servers = await startServers();
  const browser = await launchBrowser();
  const page = await browser.newPage();
  await page.goto(`${servers.host}/portal.html`);
  await page.locator('huiban-assistant').waitFor({ state: 'attached' });
  const firstToken: number[] = [];
  const complete: number[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (const q of QUESTIONS) {
      const t = await page.evaluate(async (question) => {
        const el = document.querySelector('huiban-assistant') as HTMLElement & { ask(q: string): Promise<unknown> };
        const root = el.shadowRoot!;
        const t0 = performance.now();
        let first = 0;
        const seen = new Promise<void>((resolve) => {
          const obs = new MutationObserver(() => {
            const text = root.querySelector('.msg.assistant:last-child .text')?.textContent;
            if (text) {
              first = performance.now() - t0;
              obs.disconnect();
              resolve();
            }
          });
          obs.observe(root.querySelector('.log')!, { subtree: true, childList: true, characterData: true });
        });
        await el.ask(question);
        await seen;
        return { first, complete: performance.now() - t0 };
      }, q);
      if (round > 0) {
        // Round 0 warms up (JIT, first bundle load, caches).
        firstToken.push(t.first);
        complete.push(t.complete);
      }
      // A fresh conversation for each question: clear the widget's state.
      await page.evaluate(() => sessionStorage.clear());
      await page.reload();
      await page.locator('huiban-assistant').waitFor({ state: 'attached' });
    }
  }
  result.firstTokenMs = { n: firstToken.length, p50: pct(firstToken, 50), p95: pct(firstToken, 95), max: pct(firstToken, 100) };
  result.completeMs = { p50: pct(complete, 50), p95: pct(complete, 95) };
  console.log(`first answer text visible after sending: p50 ${pct(firstToken, 50)} ms, p95 ${pct(firstToken, 95)} ms (target ≤ 300 ms); complete p50 ${pct(complete, 50)} ms`);
  await browser.close();
  await servers.close();
}
fs.mkdirSync('test-results', { recursive: true });
fs.writeFileSync('test-results/bench-widget.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result));
