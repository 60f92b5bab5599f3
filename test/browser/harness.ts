import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { LanguageModel } from 'ai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { loadIndex } from '../../server/retrieval/loadIndex.ts';
import { openStore, type Store } from '../../server/storage/store.ts';
import { TEST_INDEX } from '../globalSetup.ts';
import { tmpDir } from '../helpers.ts';

/**
 * Browser-test harness: the real service in-process on a random port, a second tiny server on another port
 * (another origin) serving the demo pages that embed the widget from the service, and Debian's Chromium
 * driven by playwright-core.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);
/** Locally a missing Chromium skips the browser tests (with a message); in CI it fails them. */
export const mustRun = process.env.CI === 'true';
export const SCREENSHOTS = path.resolve('test-results/screenshots');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

const listen = (server: http.Server | ServerType) =>
  new Promise<number>((resolve) => {
    const s = server as http.Server;
    if (s.listening) resolve((s.address() as AddressInfo).port);
    else s.once('listening', () => resolve((s.address() as AddressInfo).port));
  });

export interface Servers {
  service: string;
  host: string;
  store: Store;
  close(): Promise<void>;
}

/**
 * Starts the host (demo pages, rewritten to load /widget.js from the service; `?idle=N` sets
 * data-idle-seconds; `?matter=`, `?lang=`, `?audience=`, `?question=` the data-* of the same name) and the service
 * (ALLOWED_ORIGINS = the host).
 */
export async function startServers(opts: { staffToken?: string; llm?: LanguageModel } = {}): Promise<Servers> {
  let service = '';
  const demoDir = path.resolve('widgets/demo');
  const hostServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    const file = path.join(demoDir, path.basename(url.pathname) || 'index.html');
    if (!file.endsWith('.html') || !fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    let page = fs.readFileSync(file, 'utf8').replace('src="/widget.js"', `src="${service}/widget.js"`);
    const idle = url.searchParams.get('idle');
    if (idle) page = page.replace(/data-idle-seconds="\d+"/, `data-idle-seconds="${Number(idle)}"`);
    const extra = ['matter', 'lang', 'audience', 'question', 'theme']
      .filter((k) => url.searchParams.has(k))
      .map((k) => ` data-${k}="${url.searchParams.get(k)!.replace(/[^\w\u4e00-\u9fa5-]/g, '')}"`)
      .join('');
    if (extra) page = page.replace(`src="${service}/widget.js"`, `src="${service}/widget.js"${extra}`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  hostServer.listen(0, '127.0.0.1');
  const host = `http://127.0.0.1:${await listen(hostServer)}`;

  const index = await loadIndex(TEST_INDEX);
  const store = openStore(tmpDir(), { auditFlushMs: 50 });
  const config = loadConfig({ RATE_LIMIT_PER_MIN: '0', ALLOWED_ORIGINS: host, ...(opts.staffToken ? { STAFF_TOKEN: opts.staffToken } : {}) });
  const app = createApp({ config, index, store, llm: opts.llm });
  const serviceServer = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  service = `http://127.0.0.1:${await listen(serviceServer)}`;
  return {
    service,
    host,
    store,
    async close() {
      await new Promise((r) => hostServer.close(r));
      await new Promise((r) => (serviceServer as http.Server).close(r));
      (serviceServer as http.Server).closeAllConnections?.();
      store.close();
    },
  };
}

/** Every URL the pages of a context requested (to prove nothing left the two test origins). */
export function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (r) => urls.push(r.url()));
  return urls;
}

export function foreignRequests(urls: string[], allowed: string[]): string[] {
  return urls.filter((u) => {
    if (/^(data|blob|about):/.test(u)) return false;
    return !allowed.includes(new URL(u).origin);
  });
}

/** Runs axe-core on the page (it descends into open shadow roots); returns serious and critical violations. */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  // Evaluated through the DevTools protocol, not a <script> tag: the console's CSP (script-src 'self') stays on.
  if (!loaded) await page.evaluate(fs.readFileSync(path.resolve('node_modules/axe-core/axe.min.js'), 'utf8'));
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/** Small generated upload files (no personal data). */
export function uploadFiles() {
  return [
    { name: '居民身份证.txt', mimeType: 'text/plain', buffer: Buffer.from('中华人民共和国 居民身份证 签发机关 上海市公安局徐汇分局 有效期限 2020.01.01-2040.01.01', 'utf8') },
    { name: '劳动合同.txt', mimeType: 'text/plain', buffer: Buffer.from('劳动合同书 甲方（用人单位）：上海某某科技有限公司（盖章） 乙方：张三 合同期限 2024年1月1日至2027年12月31日', 'utf8') },
  ];
}
