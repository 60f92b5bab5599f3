import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, foreignRequests, hasChromium, launchBrowser, mustRun, recordRequests, screenshot, startServers, uploadFiles, type Servers } from './harness.ts';

/**
 * The widget in a real browser (Debian's Chromium): a host page on one origin embeds /widget.js from the
 * service on another, and each mode is driven the way a citizen would.
 */

if (!hasChromium) {
  if (mustRun) {
    it('browser tests need /usr/bin/chromium (apt-get install chromium fonts-noto-cjk)', () => {
      throw new Error('Chromium is missing at /usr/bin/chromium, and CI=true: browser tests must run in CI.');
    });
  } else {
    console.warn('[browser tests] skipped: /usr/bin/chromium is missing (apt-get install -y chromium fonts-noto-cjk).');
  }
}

const W = 'huiban-assistant';
const QUESTION = '办居住证要多久';
const OPTION = 'wh-040'; // 上海市居住证申领

describe.skipIf(!hasChromium)('widget in Chromium (host page on another origin)', () => {
  let servers: Servers;
  let browser: Browser;
  const requested: string[] = [];

  beforeAll(async () => {
    servers = await startServers();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await servers?.close();
  });

  async function open(pathAndQuery: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
    const urls = recordRequests(context);
    context.on('close', () => requested.push(...urls));
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${servers.host}/${pathAndQuery}`);
    await page.locator(W).waitFor({ state: 'attached' });
    await page.evaluate(() => {
      const w = window as unknown as { events: { type: string; detail: unknown }[] };
      w.events = [];
      for (const type of ['huiban:answer', 'huiban:handoff', 'huiban:feedback', 'huiban:reset']) {
        document.addEventListener(type, (e) => w.events.push({ type, detail: (e as CustomEvent).detail }));
      }
    });
    return { context, page };
  }

  const events = (page: Page) => page.evaluate(() => (window as unknown as { events: { type: string; detail: Record<string, unknown> }[] }).events);

  /** Asks the clarifying question, checks the options, picks 上海市居住证申领, waits for the cited answer. */
  async function askAndChoose(page: Page) {
    await page.locator(`${W} textarea`).fill(QUESTION);
    await page.locator(`${W} textarea`).press('Enter');
    const option = page.locator(`${W} .clarify [data-option="${OPTION}"]`);
    await option.waitFor();
    expect(await page.locator(`${W} .clarify button`).count()).toBeGreaterThanOrEqual(2);
    await option.click();
    await page.locator(`${W} .msg.assistant .feedback`).waitFor();
    const last = page.locator(`${W} .msg.assistant`).last();
    const text = await last.locator('.text').first().innerText();
    expect(text).toContain('上海市居住证申领');
    expect(text).toContain('7个工作日'); // the guide's promised time limit
    const links = last.locator('.sources a');
    expect(await links.count()).toBeGreaterThan(0);
    return last;
  }

  /** Clicks the citation of the time limit and lands on that section of the guide page (new tab). */
  async function followCitation(context: BrowserContext, page: Page) {
    const link = page.locator(`${W} .msg.assistant`).last().locator('.sources a[href$="#time-limit"]').first();
    expect(await link.getAttribute('href')).toBe(`${servers.service}/matters/${OPTION}#time-limit`);
    expect(await link.getAttribute('target')).toBe('_blank');
    const [guide] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await guide.waitForLoadState('domcontentloaded');
    expect(guide.url()).toBe(`${servers.service}/matters/${OPTION}#time-limit`);
    expect(await guide.locator('section#time-limit').count()).toBe(1);
    expect(await guide.evaluate(() => document.querySelector(':target')?.id)).toBe('time-limit');
    await guide.close();
  }

  /** The pre-check: find the matter, tick a situation, upload two generated files, read the checklist. */
  async function precheck(page: Page, select = true) {
    await page.locator(`${W} header button`, { hasText: '材料预检' }).click();
    if (select) {
      await page.locator(`${W} #hb-pc-q`).fill('居住证');
      await page.locator(`${W} .results [data-matter="${OPTION}"]`).click();
    }
    await page.locator(`${W} ol.materials`).waitFor();
    const kinds = await page.locator(`${W} ol.materials .kind`).allInnerTexts();
    expect(kinds.join()).toMatch(/必须提交/);
    expect(kinds.join()).toMatch(/免于提交/);
    expect(kinds.join()).toMatch(/视情形提交/);
    // 在校就读证明 (5) is declared to apply and not uploaded: the report must call it missing.
    await page.locator(`${W} [data-situation="5"]`).check();
    await page.locator(`${W} #hb-pc-files`).setInputFiles(uploadFiles());
    expect(await page.locator(`${W} ul.files li`).count()).toBe(2);
    const [response] = await Promise.all([page.waitForResponse(`${servers.service}/api/precheck`), page.locator(`${W} .start`).click()]);
    expect(response.status()).toBe(200);
    await page.locator(`${W} .report .summary`).waitFor({ timeout: 30_000 });
    const report = (await response.json()) as { materials: { index: number; status: string; files: string[] }[] };
    expect(report.materials.find((m) => m.index === 5)?.status).toBe('missing');
    expect(report.materials.find((m) => m.index === 6)?.status).toBe('conditional');
    expect(report.materials.flatMap((m) => m.files)).toContain('劳动合同.txt');
    // The guide's entry is shown with each row: form, copies, requirements.
    expect(await page.locator(`${W} ol.report li.item[data-index="4"]`).innerText()).toMatch(/原件，1份[\s\S]*加盖用人单位公章/);
    const items = page.locator(`${W} ol.report li.item`);
    expect(await items.count()).toBeGreaterThan(0);
    const statuses = await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    for (const s of statuses) expect(['provided', 'missing', 'problem', 'exempt', 'conditional', 'optional']).toContain(s);
    // Status is said in words and an icon, not by colour alone.
    const labels = await page.locator(`${W} ol.report .status`).allInnerTexts();
    for (const l of labels) expect(l).toMatch(/已提供|缺少|有问题|免于提交|视情形|可选/);
    expect(statuses).toContain('provided');
  }

  async function expectNoSeriousAxe(page: Page, what: string) {
    const v = await axeViolations(page);
    expect(v, `${what}: ${JSON.stringify(v, null, 1)}`).toEqual([]);
  }

  it('portal: asks back, answers the chosen matter with citations that open the guide section; feedback; remembered across reloads', async () => {
    const { context, page } = await open('portal.html');
    expect(await page.locator(`${W} .panel`).isHidden()).toBe(true);
    await page.locator(`${W} .launcher`).click();
    expect(await page.locator(`${W} .launcher`).getAttribute('aria-expanded')).toBe('true');

    // Count text updates while the answer streams in (text-delta parts render as they arrive).
    await page.evaluate(() => {
      const w = window as unknown as { updates: number };
      w.updates = 0;
      const root = document.querySelector('huiban-assistant')!.shadowRoot!;
      new MutationObserver((records) => (w.updates += records.length)).observe(root.querySelector('.log')!, { subtree: true, characterData: true, childList: true });
    });
    await askAndChoose(page);
    expect(await page.evaluate(() => (window as unknown as { updates: number }).updates)).toBeGreaterThan(2);
    await screenshot(page, 'portal-answer');
    await followCitation(context, page);

    const answers = (await events(page)).filter((e) => e.type === 'huiban:answer');
    expect(answers).toHaveLength(2);
    expect(answers[0].detail.clarify).toBeTruthy();
    expect(answers[1].detail).toMatchObject({ refused: false, mode: 'extractive' });
    expect(answers[1].detail.matters).toEqual(expect.arrayContaining([expect.objectContaining({ id: OPTION })]));

    const [feedback] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${servers.service}/api/feedback`),
      page.locator(`${W} .msg.assistant`).last().locator('.feedback .up').click(),
    ]);
    expect(feedback.status()).toBe(200);
    const fb = (await events(page)).find((e) => e.type === 'huiban:feedback');
    expect(fb?.detail).toEqual({ answerId: answers[1].detail.answerId, rating: 'up' });

    await expectNoSeriousAxe(page, 'portal with an answer');

    // Same tab, next page load: the conversation is still there (sessionStorage), and it continues.
    const before = await page.locator(`${W} .msg`).count();
    await page.reload();
    await page.locator(`${W} .msg`).first().waitFor();
    expect(await page.locator(`${W} .msg`).count()).toBe(before);
    expect(await page.locator(`${W} .panel`).isVisible()).toBe(true);
    await page.locator(`${W} textarea`).fill('要收费吗');
    await page.locator(`${W} textarea`).press('Enter');
    await page.waitForFunction(() => document.querySelector('huiban-assistant')!.shadowRoot!.querySelectorAll('.msg.assistant .feedback').length >= 2);
    const followUp = await page.locator(`${W} .msg.assistant`).last().locator('.text').first().innerText();
    expect(followUp).toContain('上海市居住证申领');
    expect(followUp).toContain('收费');

    await precheck(page);
    await screenshot(page, 'portal-precheck');
    await expectNoSeriousAxe(page, 'portal with a pre-check checklist');
    await context.close();
  });

  it('portal: usable with the keyboard alone (Tab, Enter, Escape)', async () => {
    const { context, page } = await open('portal.html');
    const focused = () =>
      page.evaluate(() => {
        const a = document.activeElement;
        const inner = a?.shadowRoot?.activeElement;
        return inner ? `${inner.tagName.toLowerCase()}.${inner.className || ''}${inner.getAttribute('data-option') ? `#${inner.getAttribute('data-option')}` : ''}` : a?.tagName.toLowerCase();
      });
    for (let i = 0; i < 10 && (await focused()) !== 'button.launcher'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('button.launcher');
    // The focus ring is visible.
    const outline = await page.evaluate(() => getComputedStyle(document.querySelector('huiban-assistant')!.shadowRoot!.activeElement!).outlineStyle);
    expect(outline).toBe('solid');
    await page.keyboard.press('Enter');
    expect(await focused()).toBe('textarea.');
    await page.keyboard.type(QUESTION);
    await page.keyboard.press('Enter');
    await page.locator(`${W} .clarify button`).first().waitFor();
    // Back from the input to the options (Shift+Tab), choose one with Enter.
    for (let i = 0; i < 30 && !(await focused())?.includes(`#${OPTION}`); i++) await page.keyboard.press('Shift+Tab');
    expect(await focused()).toContain(`#${OPTION}`);
    await page.keyboard.press('Enter');
    await page.locator(`${W} .msg.assistant .feedback`).waitFor();
    expect(await page.locator(`${W} .msg.assistant`).last().innerText()).toContain('7个工作日');
    // Escape closes the panel and gives the focus back to the launcher.
    await page.keyboard.press('Escape');
    expect(await page.locator(`${W} .panel`).isHidden()).toBe(true);
    expect(await focused()).toBe('button.launcher');
    await screenshot(page, 'portal-keyboard');
    await context.close();
  });

  it('portal on a guide page: data-question asks on open, data-matter pins the matter and the pre-check', async () => {
    const { context, page } = await open(`portal.html?matter=${OPTION}&question=${encodeURIComponent('要多久')}`);
    await page.locator(`${W} .launcher`).click();
    await page.locator(`${W} .msg.assistant .feedback`).waitFor();
    expect(await page.locator(`${W} .msg.user`).innerText()).toContain('要多久');
    const text = await page.locator(`${W} .msg.assistant .text`).first().innerText();
    expect(text).toContain('上海市居住证申领');
    expect(text).toContain('7个工作日');
    await page.locator(`${W} header button`, { hasText: '材料预检' }).click();
    expect(await page.locator(`${W} .matter h4`).first().innerText()).toBe('上海市居住证申领');
    expect(await page.locator(`${W} ol.materials li`).count()).toBe(7);
    await context.close();
  });

  it('portal in English and in the dark and high-contrast themes: UI strings, lang attribute, contrast', async () => {
    for (const theme of ['dark', 'high-contrast']) {
      const { context, page } = await open(`portal.html?lang=en&theme=${theme}`);
      expect(await page.locator(`${W} .launcher`).innerText()).toBe('Ask Huiban');
      expect(await page.locator(`${W} .root`).getAttribute('lang')).toBe('en');
      await page.locator(`${W} .launcher`).click();
      await page.locator(`${W} textarea`).fill('开奶茶店办食品经营许可证要多久');
      await page.locator(`${W} textarea`).press('Enter');
      await page.locator(`${W} .msg.assistant .feedback`).waitFor();
      expect(await page.locator(`${W} .feedback .up`).innerText()).toContain('Helpful');
      await expectNoSeriousAxe(page, `portal, ${theme} theme`);
      await screenshot(page, `portal-en-${theme}`);
      await context.close();
    }
  });

  it('hall: docks beside the video area, answers, hands off to staff with the conversation', async () => {
    const { context, page } = await open('hall.html');
    expect(await page.evaluate(() => document.querySelector('huiban-assistant')!.parentElement!.hasAttribute('data-huiban-dock'))).toBe(true);
    const video = (await page.locator('.video').boundingBox())!;
    const panel = (await page.locator(`${W} .panel`).boundingBox())!;
    expect(panel.x).toBeGreaterThanOrEqual(video.x + video.width - 1);
    expect(panel.height).toBeGreaterThan(300);
    await askAndChoose(page);
    await followCitation(context, page);
    await expectNoSeriousAxe(page, 'hall with an answer');
    await screenshot(page, 'hall-answer');

    await page.locator(`${W} .handoff`).click();
    const handoff = (await events(page)).find((e) => e.type === 'huiban:handoff')!;
    const answers = (await events(page)).filter((e) => e.type === 'huiban:answer');
    expect(handoff.detail.conversationId).toBe(answers[0].detail.conversationId);
    const messages = handoff.detail.messages as { role: string; text: string }[];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(messages[0].text).toBe(QUESTION);
    expect(await page.locator('#handoff-log').innerText()).toContain('共 4 条消息');

    await precheck(page);
    await expectNoSeriousAxe(page, 'hall with a pre-check checklist');
    await screenshot(page, 'hall-precheck');
    await context.close();
  });

  it('kiosk: full screen, large targets, quick topics, printable checklist, wiped when idle', async () => {
    const { context, page } = await open('kiosk.html?idle=120');
    const panel = (await page.locator(`${W} .panel`).boundingBox())!;
    expect(panel).toMatchObject({ x: 0, y: 0, width: 1280, height: 800 });
    const topics = page.locator(`${W} .topics button`);
    expect(await topics.count()).toBe(6);
    expect(await page.locator(`${W} .panel`).evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(20);

    await askAndChoose(page);
    await followCitation(context, page);
    await topics.first().click(); // 办居住证 (pinned to its guide)
    await page.waitForFunction(() => document.querySelector('huiban-assistant')!.shadowRoot!.querySelectorAll('.msg.assistant .feedback').length >= 2);
    expect(await page.locator(`${W} .msg.user`).last().innerText()).toContain('办居住证');
    expect(await page.locator(`${W} .msg.assistant`).last().locator('.text').first().innerText()).toContain('需要准备的材料');
    await expectNoSeriousAxe(page, 'kiosk with an answer');
    await screenshot(page, 'kiosk-answer');

    // Every visible control is a touch target of at least 48 × 48 px (the chat view, then the pre-check).
    const smallTargets = () => page.evaluate(() => {
      const root = document.querySelector('huiban-assistant')!.shadowRoot!;
      return [...root.querySelectorAll<HTMLElement>('button, a, textarea, input:not(.vh), label.filepick')]
        .map((el) => ({ el, r: el.getBoundingClientRect() }))
        .filter(({ r }) => r.width > 0 && r.height > 0)
        .filter(({ r }) => r.width < 48 || r.height < 48)
        .map(({ el, r }) => `${el.tagName} ${el.textContent?.slice(0, 20)} ${Math.round(r.width)}×${Math.round(r.height)}`);
    });
    expect(await smallTargets()).toEqual([]);

    await precheck(page);
    expect(await smallTargets()).toEqual([]);
    await expectNoSeriousAxe(page, 'kiosk with a pre-check checklist');
    await screenshot(page, 'kiosk-precheck');

    // Printing: only the checklist goes to paper.
    await page.evaluate(() => {
      const w = window as unknown as { printed: number };
      w.printed = 0;
      window.print = () => void w.printed++;
    });
    await page.locator(`${W} .print-report`).click();
    expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
    expect(await page.locator(`${W} .print-sheet`).innerText()).toContain('预检结果');
    await page.emulateMedia({ media: 'print' });
    const printView = await page.evaluate(() => {
      const root = document.querySelector('huiban-assistant')!.shadowRoot!;
      return { panel: getComputedStyle(root.querySelector('.panel')!).display, sheet: getComputedStyle(root.querySelector('.print-sheet')!).display };
    });
    expect(printView).toEqual({ panel: 'none', sheet: 'block' });
    await screenshot(page, 'kiosk-print');
    await page.emulateMedia({ media: 'screen' });
    await page.locator(`${W} .print-list`).click();
    expect(await page.locator(`${W} .print-sheet`).innerText()).toContain('材料清单');

    // Idle: conversation, storage and chosen files are wiped. (Shortened here to 2 s.)
    const keys = () =>
      page.evaluate(() => [...Object.keys(sessionStorage), ...Object.keys(localStorage)].filter((k) => k.startsWith('huiban:')));
    expect((await keys()).length).toBeGreaterThan(0);
    // A key of the widget's in localStorage goes too; the host page's own keys stay.
    await page.evaluate(() => {
      localStorage.setItem('huiban:kiosk:test', '1');
      localStorage.setItem('host-page-key', 'kept');
    });
    expect(await page.evaluate(() => (document.querySelector('huiban-assistant') as unknown as { selectedFiles: File[] }).selectedFiles.length)).toBe(2);
    await page.evaluate(() => {
      (document.querySelector('huiban-assistant') as HTMLElement).dataset.idleSeconds = '2';
      window.dispatchEvent(new Event('keydown'));
    });
    await page.waitForFunction(() => (window as unknown as { events: { type: string }[] }).events.some((e) => e.type === 'huiban:reset'), null, { timeout: 10_000 });
    expect(await keys()).toEqual([]);
    expect(await page.evaluate(() => localStorage.getItem('host-page-key'))).toBe('kept');
    expect(await page.evaluate(() => (document.querySelector('huiban-assistant') as unknown as { selectedFiles: File[] }).selectedFiles.length)).toBe(0);
    expect(await page.locator(`${W} .msg.user`).count()).toBe(0);
    expect(await page.locator(`${W} .report`).count()).toBe(0);
    expect(await page.evaluate(() => (document.querySelector('huiban-assistant')!.shadowRoot!.querySelector('#hb-pc-files') as HTMLInputElement | null)?.files?.length ?? 0)).toBe(0);
    expect(await page.locator(`${W} [role=status]`).innerText()).toContain('已清除');
    await screenshot(page, 'kiosk-wiped');
    await context.close();
  });

  it('the pages requested nothing from any host but the page origin and the service', () => {
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.some((u) => u.startsWith(`${servers.service}/widget.js`))).toBe(true);
    expect(foreignRequests(requested, [servers.service, servers.host])).toEqual([]);
  });
});
