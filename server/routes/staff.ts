import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { GuardError } from '../answer/guard.ts';
import type { LlmOptions } from '../answer/llm/composeLlm.ts';
import type { AnswerPipeline } from '../answer/pipeline.ts';
import type { Config } from '../config.ts';
import { badRequest } from '../errors.ts';
import { rateLimit } from '../middleware/rateLimit.ts';
import { requireStaff, sameSecret, sessionValue, STAFF_COOKIE, STAFF_MESSAGES, STAFF_SESSION_SECONDS, staffAuth } from '../staff/auth.ts';
import { plainRewrite } from '../staff/plain.ts';
import { PlainRequestSchema, SuggestRequestSchema } from '../staff/schema.ts';
import { SuggestComposer } from '../staff/suggest.ts';
import { readJson } from './json.ts';

export interface StaffDeps {
  config: Pick<Config, 'STAFF_TOKEN' | 'RATE_LIMIT_PER_MIN' | 'RATE_LIMIT_EXEMPT' | 'TRUST_PROXY'>;
  pipeline: AnswerPipeline;
  llm?: LlmOptions;
}

/** Logins tried per client and minute (guessing the token is slow). */
const LOGIN_PER_MIN = 10;

const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const CONSOLE_CSS = `body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;margin:0;color:#1a1a1a;background:#f4f6f9;line-height:1.6}
header{display:flex;align-items:center;gap:1rem;padding:.6rem 1.2rem;background:#1849a9;color:#fff}header h1{font-size:1.15rem;margin:0;flex:1}
header button{background:transparent;color:#fff;border:1px solid #fff}main{display:grid;grid-template-columns:repeat(auto-fit,minmax(26rem,1fr));gap:1rem;padding:1rem}
section.card{background:#fff;border:1px solid #c9ced6;border-radius:10px;padding:1rem 1.2rem}h2{font-size:1.1rem;margin:.2rem 0 .6rem}
label{display:block;font-weight:600;margin:.4rem 0 .2rem}input,textarea,select,button{font:inherit}input[type=search],textarea,select,input[type=password]{width:100%;box-sizing:border-box;padding:.45rem;border:1px solid #4a4a4a;border-radius:6px}
textarea{min-height:6rem;resize:vertical}button{cursor:pointer;padding:.35rem .9rem;border-radius:6px;border:1px solid #1849a9;background:#fff;color:#1849a9;min-height:36px}
button.primary{background:#1849a9;color:#fff}:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px;box-shadow:0 0 0 6px #ffdd00}
ul.results{list-style:none;padding:0;margin:.4rem 0;display:grid;gap:.3rem}ul.results button{width:100%;text-align:left}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #c9ced6;padding:.3rem .45rem;text-align:left;vertical-align:top}th{background:#eef3fb}
.kind{font-weight:700;white-space:nowrap}.muted{color:#4a4a4a;font-size:.9em}.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}
.suggestion{border:1px solid #c9ced6;border-radius:8px;padding:.6rem .8rem;margin:.6rem 0}.suggestion h3{font-size:1rem;margin:0 0 .3rem}
.badge{display:inline-block;padding:0 .5rem;border-radius:999px;border:1px solid currentColor;font-size:.85em}.error{color:#a4161a;font-weight:600}
.cites{font-size:.9em;margin:.3rem 0 0;padding-left:1.2rem}.login{max-width:26rem;margin:3rem auto}
@media print{header,#helpdesk,.no-print,#lookup-form{display:none!important}main{display:block;padding:0}section.card{border:0}body{background:#fff}}`;

function loginPage(message?: string) {
  return html`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>工作人员登录 - 汇办</title><style>${CONSOLE_CSS}</style></head>
<body><header><h1>汇办 · 工作人员工作台</h1></header>
<main><section class="card login" aria-labelledby="login-title">
<h2 id="login-title">工作人员登录</h2>
${message ? html`<p class="error" role="alert">${message}</p>` : ''}
<form method="post" action="/console/login">
<label for="token">工作人员口令</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<div class="actions"><button class="primary" type="submit">登录</button></div>
</form>
<p class="muted">口令由系统管理员配置（STAFF_TOKEN）。登录后在本浏览器保持 8 小时。</p>
</section></main></body></html>`;
}

function consolePage(llm: boolean) {
  return html`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>工作人员工作台 - 汇办</title><style>${CONSOLE_CSS}</style>
<script src="/console/app.js" defer></script></head>
<body data-llm="${llm ? 'true' : 'false'}">
<header><h1>汇办 · 工作人员工作台</h1>
<span class="badge" id="model-badge">${llm ? '已配置大模型（答复经事实核对）' : '抽取式（未配置大模型）'}</span>
<form method="post" action="/console/logout" class="no-print"><button type="submit">退出登录</button></form></header>
<main>
<section class="card" id="lookup" aria-labelledby="lookup-title">
<h2 id="lookup-title">事项查询（窗口）</h2>
<form id="lookup-form" role="search">
<label for="lookup-q">输入群众的说法，边输边查（如“开奶茶店”“孩子报户口”）</label>
<input id="lookup-q" type="search" autocomplete="off">
<div aria-live="polite"><ul class="results" id="lookup-results" aria-label="查询结果"></ul></div>
</form>
<article id="guide" aria-live="polite"></article>
</section>
<section class="card" id="helpdesk" aria-labelledby="helpdesk-title">
<h2 id="helpdesk-title">帮办答复（热线、在线客服）</h2>
<form id="suggest-form">
<label for="suggest-msg">粘贴群众的留言或对话（对话可按行写“群众：…”“客服：…”）</label>
<textarea id="suggest-msg" required></textarea>
<label for="suggest-audience">服务对象</label>
<select id="suggest-audience"><option value="">不限</option><option value="个人">个人</option><option value="法人">法人</option></select>
<div class="actions"><button class="primary" type="submit">生成建议答复</button></div>
</form>
<p id="suggest-status" role="status" class="muted"></p>
<div id="suggestions"></div>
</section>
</main></body></html>`;
}

/** Whether the request came over HTTPS (directly, or through a trusted proxy): the cookie is then Secure. */
function isHttps(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return trustProxy && c.req.header('x-forwarded-proto') === 'https';
}

/**
 * Staff endpoints and the console (STAFF_TOKEN): `POST /api/suggest`, `POST /api/suggest/plain`, `GET /console`
 * (a login form until authenticated; the session is an HttpOnly cookie derived from the token).
 */
export function staffRoutes({ config, pipeline, llm }: StaffDeps) {
  const app = new Hono();
  const token = config.STAFF_TOKEN;
  const composer = new SuggestComposer(pipeline, llm);
  const staffOnly = requireStaff(token);

  app.post('/api/suggest', staffOnly, async (c) => {
    const req = await readJson(c, SuggestRequestSchema);
    try {
      return c.json(await composer.suggest(req));
    } catch (error) {
      if (error instanceof GuardError) throw badRequest(error.code, error.message);
      throw error;
    }
  });

  app.post('/api/suggest/plain', staffOnly, async (c) => {
    const { text } = await readJson(c, PlainRequestSchema);
    const r = await plainRewrite(text, llm);
    return c.json({ text: r.text, mode: r.mode, replaced: r.replaced });
  });

  app.get('/console', (c) => {
    const auth = staffAuth(c, token);
    if (auth === 'ok') return c.html(consolePage(!!llm), 200, PAGE_HEADERS);
    if (auth === 'disabled') return c.html(loginPage(STAFF_MESSAGES.disabled.message), 403, PAGE_HEADERS);
    return c.html(loginPage(auth === 'wrong' ? STAFF_MESSAGES.wrong.message : undefined), 401, PAGE_HEADERS);
  });

  app.post(
    '/console/login',
    rateLimit({ perMinute: config.RATE_LIMIT_PER_MIN ? LOGIN_PER_MIN : 0, exempt: config.RATE_LIMIT_EXEMPT, trustProxy: config.TRUST_PROXY }),
    async (c) => {
      if (!token) return c.html(loginPage(STAFF_MESSAGES.disabled.message), 403, PAGE_HEADERS);
      if (Number(c.req.header('content-length') ?? 0) > 4096) return c.html(loginPage('请求内容过大。'), 413, PAGE_HEADERS);
      const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
      const given = typeof form.token === 'string' ? form.token : '';
      if (!given || !sameSecret(given, token)) return c.html(loginPage(STAFF_MESSAGES.wrong.message), 401, PAGE_HEADERS);
      setCookie(c, STAFF_COOKIE, sessionValue(token), {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        maxAge: STAFF_SESSION_SECONDS,
        secure: isHttps(c, config.TRUST_PROXY),
      });
      return c.redirect('/console', 303);
    },
  );

  app.post('/console/logout', (c) => {
    deleteCookie(c, STAFF_COOKIE, { path: '/' });
    return c.redirect('/console', 303);
  });
  return app;
}
