import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, foreignRequests, hasChromium, launchBrowser, recordRequests, screenshot, startServers, type Servers } from './harness.ts';

/** The staff console in Chromium: login, clerk lookup, help-desk suggestions and the plain rewrite. */
const TOKEN = 'console-test-token-9876543210';

describe.skipIf(!hasChromium)('staff console in Chromium', () => {
  let servers: Servers;
  let browser: Browser;
  beforeAll(async () => {
    servers = await startServers({ staffToken: TOKEN });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await servers?.close();
  });

  it('logs in, looks up a matter from colloquial words, copies and prints its checklist, drafts replies', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: servers.service });
    const urls = recordRequests(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy/.test(m.text()) && errors.push(m.text()));

    const login = await page.goto(`${servers.service}/console`);
    expect(login?.status()).toBe(401);
    await page.getByLabel('工作人员口令').fill('wrong');
    await page.getByRole('button', { name: '登录' }).click();
    await expect.poll(() => page.locator('[role=alert]').innerText()).toContain('不正确');
    await page.getByLabel('工作人员口令').fill(TOKEN);
    await page.getByRole('button', { name: '登录' }).click();
    await page.locator('#lookup-q').waitFor();
    expect(page.url()).toBe(`${servers.service}/console`);

    // Clerk lookup: search as you type.
    await page.locator('#lookup-q').pressSequentially('开奶茶店', { delay: 30 });
    await page.locator('#lookup-results [data-matter="qy-039"]').click();
    await page.locator('#materials-table').waitFor();
    const kinds = await page.locator('#materials-table td.kind').allInnerTexts();
    expect(kinds.join()).toContain('必须提交');
    expect(kinds.join()).toContain('视情形提交');
    expect(kinds.join()).toContain('免于提交');
    await page.locator('#copy-materials').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toContain('食品经营许可（新办） 申请材料清单');
    await page.evaluate(() => {
      const w = window as unknown as { printed: number };
      w.printed = 0;
      window.print = () => void w.printed++;
    });
    await page.locator('#print-guide').click();
    expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('#helpdesk').isHidden()).toBe(true);
    await page.emulateMedia({ media: 'screen' });

    // Help-desk: a pasted conversation → three suggested replies with citations.
    await page.locator('#suggest-msg').fill('群众：我想开个奶茶店，要办什么证？\n客服：您好，需要办理食品经营许可。\n群众：要准备什么材料？');
    await page.getByRole('button', { name: '生成建议答复' }).click();
    await page.locator('.suggestion').first().waitFor();
    expect(await page.locator('.suggestion').evaluateAll((els) => els.map((e) => e.getAttribute('data-style')))).toEqual(['concise', 'steps', 'clarify']);
    expect(await page.locator('#suggest-status').innerText()).toContain('抽取式');
    const first = page.locator('.suggestion').first();
    expect(await first.locator('.cites a').count()).toBeGreaterThan(0);
    expect(await first.locator('.cites a').first().getAttribute('href')).toMatch(/^\/matters\/qy-039#/);
    const before = await first.locator('textarea').inputValue();
    expect(before).toContain('免于提交');
    await first.getByRole('button', { name: '改写成通俗说法' }).click();
    await expect.poll(() => first.locator('textarea').inputValue()).toContain('不用交');
    expect(await first.locator('textarea').inputValue()).toMatch(/\[1\]/);

    const v = await axeViolations(page);
    expect(v, JSON.stringify(v, null, 1)).toEqual([]);
    await screenshot(page, 'console');
    expect(errors).toEqual([]);
    expect(foreignRequests(urls, [servers.service])).toEqual([]);
    await context.close();
  });
});
