import { Hono } from 'hono';
import { html, raw } from 'hono/html';
import { guideSections } from '../../ingest/sections.ts';
import { DISCLAIMER } from '../answer/composeExtractive.ts';
import { errorBody, matterNotFound } from '../errors.ts';
import type { LoadedIndex } from '../retrieval/loadIndex.ts';

const STYLE = `body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:50rem;margin:0 auto;padding:1rem;line-height:1.7;color:#1a1a1a}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.6rem;border-bottom:1px solid #ddd}section:target{background:#fff7d6;outline:3px solid #c58a00}
.notice{background:#eef4ff;border-left:4px solid #2458b3;padding:.5rem .8rem}pre{white-space:pre-wrap;font-family:inherit;margin:0}`;

/** The guide pages citations link to: `/matters/<id>#<section>`, one element per section id. */
export function pageRoutes(index: LoadedIndex) {
  const app = new Hono();
  app.get('/matters/:id', (c) => {
    const g = index.guideById.get(c.req.param('id'));
    if (!g) {
      const e = matterNotFound();
      return c.json(errorBody(e.code, e.message), e.status);
    }
    const sections = guideSections(g);
    return c.html(html`<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${g.name} - 办事指南</title><style>${raw(STYLE)}</style></head>
<body>
<main>
<h1>${g.name}</h1>
<p class="notice">${DISCLAIMER}</p>
<nav aria-label="目录"><ul>${sections.map((s) => html`<li><a href="#${s.id}">${s.title}</a></li>`)}</ul></nav>
${sections.map((s) => html`<section id="${s.id}" tabindex="-1"><h2>${s.title}</h2><pre>${s.text}</pre></section>`)}
</main>
</body>
</html>`);
  });
  return app;
}
