import { h, replace } from '../dom.ts';
import { sectionName, STRINGS } from '../i18n.ts';
import { kindOf } from '../precheck.ts';
import type { Citation, Guide, Material, MatterItem } from '../types.ts';

/**
 * The staff console (`/console`, behind STAFF_TOKEN): clerk lookup (search as you type over the matters, the
 * guide with its materials checklist, copy and print) and help-desk replies (suggestions with citations,
 * editable, copy, 改写成通俗说法). Same-origin calls; the session cookie authenticates them.
 */

interface FullGuide extends Guide {
  type: string;
  conditions: string[];
  process: string[];
  legalTimeLimit: string;
  promisedTimeLimit: string;
  fee: string;
  location: string;
  hours: string;
  online: { depth: string; entry: string };
  contact: string;
}
interface Suggestion {
  style: 'concise' | 'steps' | 'clarify';
  text: string;
  citations: Citation[];
  mode?: 'extractive' | 'llm';
}

const STYLE_LABEL: Record<Suggestion['style'], string> = { concise: '简洁答复', steps: '分步说明', clarify: '追问澄清' };
const KIND_LABEL = { required: '● 必须提交', conditional: '◐ 视情形提交', optional: '○ 可选提交', exempt: '⊘ 免于提交' } as const;
const MODE_LABEL = { extractive: '抽取式（摘自指南原文）', llm: '大模型撰写（已核对事实）' } as const;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function api<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { credentials: 'same-origin', ...init });
  if (res.status === 401 || res.status === 403) {
    location.href = '/console';
    throw new Error('请重新登录。');
  }
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new Error(body.error?.message ?? '请求失败，请稍后再试。');
  return body as T;
}
const postJson = <T>(url: string, body: unknown) => api<T>(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function copy(text: string, status: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Clipboard API refused (no focus, old browser): the classic way.
    const ta = h('textarea', { class: 'no-print', 'aria-hidden': 'true' }, text);
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  status.textContent = '已复制到剪贴板。';
}

// ---- clerk lookup ------------------------------------------------------------------------------------------
let lookupTimer: ReturnType<typeof setTimeout> | undefined;
let lookupAbort: AbortController | undefined;

async function lookup(q: string): Promise<void> {
  const list = $('lookup-results');
  lookupAbort?.abort();
  if (!q.trim()) return replace(list);
  const abort = (lookupAbort = new AbortController());
  try {
    const { items, total } = await api<{ items: MatterItem[]; total: number }>(`/api/matters?${new URLSearchParams({ q, pageSize: '10' })}`, { signal: abort.signal });
    replace(
      list,
      items.length
        ? items.map((m) => h('li', null, h('button', { type: 'button', 'data-matter': m.id, onClick: () => void showGuide(m.id) }, `${m.name}`, h('span', { class: 'muted' }, ` · ${m.department}`))))
        : h('li', null, '没有找到相关事项，请换个说法。'),
      total > items.length ? h('li', { class: 'muted' }, `共 ${total} 项，显示前 ${items.length} 项`) : null,
    );
  } catch (error) {
    if ((error as Error).name !== 'AbortError') replace(list, h('li', { class: 'error', role: 'alert' }, (error as Error).message));
  }
}

function materialsText(g: FullGuide): string {
  const lines = g.materials.map((m, i) => `${i + 1}. [${KIND_LABEL[kindOf(m)].slice(2)}] ${m.name}（${m.form}${m.copies ? `，${m.copies}份` : ''}）${kindOf(m) === 'conditional' ? `——${m.when}` : ''}${m.requirements ? `；${m.requirements}` : ''}`);
  return `${g.name} 申请材料清单\n${lines.join('\n')}\n办理时限：承诺${g.promisedTimeLimit}；收费：${g.fee}\n办理地点：${g.location}（${g.hours}）\n以上摘自办事指南，以“一网通办”官方指南为准。`;
}

function materialRow(m: Material, i: number) {
  const kind = kindOf(m);
  return h(
    'tr',
    { 'data-kind': kind },
    h('td', null, String(i + 1)),
    h('td', null, m.name),
    h('td', { class: 'kind' }, KIND_LABEL[kind]),
    h('td', null, `${m.form}${m.copies ? `，${m.copies}份` : ''}`),
    h('td', null, kind === 'conditional' ? `适用情形：${m.when}${m.requirements ? `；${m.requirements}` : ''}` : m.requirements),
  );
}

async function showGuide(id: string): Promise<void> {
  const box = $('guide');
  let g: FullGuide;
  try {
    g = await api<FullGuide>(`/api/matters/${encodeURIComponent(id)}`);
  } catch (error) {
    return replace(box, h('p', { class: 'error', role: 'alert' }, (error as Error).message));
  }
  const status = h('p', { role: 'status', class: 'muted' });
  replace(
    box,
    h('h3', { tabindex: '-1', id: 'guide-title' }, g.name),
    h('p', { class: 'muted' }, `${g.department} · ${g.audience.join('、')} · ${g.type}`),
    h(
      'div',
      { class: 'actions no-print' },
      h('button', { type: 'button', id: 'copy-materials', onClick: () => void copy(materialsText(g), status) }, '复制材料清单'),
      h('button', { type: 'button', id: 'print-guide', onClick: () => window.print() }, '打印'),
      h('a', { href: `/matters/${encodeURIComponent(g.id)}`, target: '_blank', rel: 'noopener' }, '打开完整办事指南'),
    ),
    status,
    h('h4', null, '申请材料'),
    h(
      'table',
      { id: 'materials-table' },
      h('caption', { class: 'muted' }, '● 必须提交　◐ 视情形提交　○ 可选提交　⊘ 免于提交（数据共享核验）'),
      h('thead', null, h('tr', null, ['序号', '材料名称', '提交要求', '形式份数', '说明'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, g.materials.map(materialRow)),
    ),
    g.conditions.length ? [h('h4', null, '受理条件'), h('ol', null, g.conditions.map((c) => h('li', null, c)))] : null,
    h('h4', null, '办理流程'),
    h('ol', null, g.process.map((p) => h('li', null, p))),
    h(
      'dl',
      null,
      h('dt', null, '办理时限'),
      h('dd', null, `承诺${g.promisedTimeLimit}（法定${g.legalTimeLimit}）`),
      h('dt', null, '收费'),
      h('dd', null, g.fee),
      h('dt', null, '网上办理'),
      h('dd', null, `${g.online.depth}${g.online.entry ? `，入口：${g.online.entry}` : ''}`),
      h('dt', null, '地点和时间'),
      h('dd', null, `${g.location}（${g.hours}）`),
      h('dt', null, '咨询'),
      h('dd', null, g.contact),
    ),
  );
  $('guide-title').focus();
}

// ---- help-desk ---------------------------------------------------------------------------------------------
/** A pasted conversation ("群众：…" / "客服：…" lines) becomes history; anything else is one message. */
export function parseConversation(text: string): { message?: string; history?: { role: 'user' | 'assistant'; content: string }[] } {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const re = /^(群众|市民|用户|来电人|网友|客服|坐席|工作人员|汇办)\s*[:：]\s*(.*)$/;
  if (lines.length < 2 || !lines.every((l) => re.test(l))) return { message: text.trim() };
  const history = lines.map((l) => {
    const [, who, content] = re.exec(l)!;
    return { role: /客服|坐席|工作人员|汇办/.test(who) ? ('assistant' as const) : ('user' as const), content: content.slice(0, 4000) };
  });
  return { history: history.slice(-50) };
}

function suggestionCard(s: Suggestion, i: number): HTMLElement {
  const id = `suggestion-${i}`;
  const status = h('p', { role: 'status', class: 'muted' });
  const text = h('textarea', { id, rows: Math.min(14, s.text.split('\n').length + 2) }, s.text);
  const replaced = h('p', { class: 'muted' });
  const plain = async () => {
    status.textContent = '正在改写…';
    try {
      const r = await postJson<{ text: string; mode?: string; replaced?: { term: string; plain: string }[] }>('/api/suggest/plain', { text: text.value });
      text.value = r.text;
      replaced.textContent = r.replaced?.length ? `已替换：${r.replaced.map((x) => `${x.term}→${x.plain}`).join('；')}` : r.mode === 'llm' ? '已由大模型改写（事实已核对）。' : '没有需要替换的术语。';
      status.textContent = '已改写成通俗说法，可继续编辑。';
    } catch (error) {
      status.textContent = (error as Error).message;
    }
  };
  return h(
    'article',
    { class: 'suggestion', 'data-style': s.style },
    h('h3', null, `${i + 1}. ${STYLE_LABEL[s.style]} `, h('span', { class: 'badge' }, MODE_LABEL[s.mode ?? 'extractive'])),
    h('label', { for: id }, '答复内容（可编辑）'),
    text,
    s.citations.length
      ? h(
          'ol',
          { class: 'cites', 'aria-label': '引用' },
          s.citations.map((c) => h('li', { value: String(c.n) }, h('a', { href: c.url, target: '_blank', rel: 'noopener' }, `${c.matterName} · ${sectionName(STRINGS['zh-CN'], c.section)}`), ` “${c.quote}”`)),
        )
      : null,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'copy', onClick: () => void copy(text.value, status) }, '复制'),
      h('button', { type: 'button', class: 'plain', onClick: () => void plain() }, '改写成通俗说法'),
    ),
    replaced,
    status,
  );
}

async function suggest(e: Event): Promise<void> {
  e.preventDefault();
  const raw = $<HTMLTextAreaElement>('suggest-msg').value;
  const audience = $<HTMLSelectElement>('suggest-audience').value || undefined;
  const status = $('suggest-status');
  const out = $('suggestions');
  if (!raw.trim()) return;
  status.textContent = '正在生成建议答复…';
  try {
    const r = await postJson<{ suggestions: Suggestion[]; mode: 'extractive' | 'llm' }>('/api/suggest', { ...parseConversation(raw), audience });
    status.textContent = `已生成 ${r.suggestions.length} 条建议答复。模式：${MODE_LABEL[r.mode]}。发送前请核对。`;
    $('model-badge').textContent = `本次：${MODE_LABEL[r.mode]}`;
    replace(out, r.suggestions.map(suggestionCard));
  } catch (error) {
    status.textContent = (error as Error).message;
    replace(out);
  }
}

function start(): void {
  const q = $<HTMLInputElement>('lookup-q');
  q.addEventListener('input', () => {
    clearTimeout(lookupTimer);
    lookupTimer = setTimeout(() => void lookup(q.value), 150);
  });
  $('lookup-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void lookup(q.value);
  });
  $('suggest-form').addEventListener('submit', (e) => void suggest(e));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
