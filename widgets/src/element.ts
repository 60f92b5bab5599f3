import { errorOf, newId, postJson, ServiceError } from './api.ts';
import { h, replace } from './dom.ts';
import { sectionName, STRINGS, type Strings } from './i18n.ts';
import { PrecheckView } from './precheck.ts';
import { uiMessageParts } from './stream.ts';
import { CSS, HALL_FLOATING_CSS, HOST_PRINT_CSS } from './styles.ts';
import { QUICK_TOPICS } from './topics.ts';
import type { AnswerData, ChatMessage, Lang, Mode, Source } from './types.ts';

/** Storage keys the widget writes all start with this (the kiosk's idle wipe removes every one of them). */
export const STORAGE_PREFIX = 'huiban:';
/** Messages sent as history with a question (the service keeps the conversation's matter from them). */
const HISTORY_SENT = 12;
const DEFAULT_IDLE_SECONDS = 120;
const ACTIVITY = ['pointerdown', 'keydown', 'input', 'touchstart', 'wheel'];

let scriptEndpoint: string | undefined;
/** The origin the loader script came from: the default endpoint. */
export function setDefaultEndpoint(url: string | undefined): void {
  scriptEndpoint = url;
}

interface Stored {
  conversationId: string;
  messages: ChatMessage[];
  open: boolean;
}

/**
 * `<huiban-assistant>`: the citizen's assistant for the portal (launcher + panel), the virtual hall (docked
 * panel, hand-off to staff) and kiosks (full screen, large targets, quick topics, idle wipe). Attributes are
 * the loader's: data-mode, data-endpoint, data-lang, data-theme, data-question, data-matter, data-audience,
 * data-idle-seconds.
 */
export class HuibanAssistant extends HTMLElement {
  private readonly root: ShadowRoot;
  private t: Strings = STRINGS['zh-CN'];
  private mode: Mode = 'portal';
  private conversationId = newId();
  private messages: ChatMessage[] = [];
  private isOpen = false;
  private view: 'chat' | 'precheck' = 'chat';
  private busy: Promise<unknown> = Promise.resolve();
  private controller?: AbortController;
  private idleTimer?: ReturnType<typeof setTimeout>;
  private built = false;
  private askedInitial = false;
  /** Shown in the welcome bubble after an idle wipe, until the next question. */
  private wipedNotice = false;
  private precheck?: PrecheckView;
  // elements
  private wrap!: HTMLElement;
  private panel!: HTMLElement;
  private launcher?: HTMLButtonElement;
  private log!: HTMLElement;
  private input!: HTMLTextAreaElement;
  private sendButton!: HTMLButtonElement;
  private chatView!: HTMLElement;
  private pcView!: HTMLElement;
  private tabs: Record<'chat' | 'precheck', HTMLButtonElement> = {} as never;
  private status!: HTMLElement;
  private printSheet!: HTMLElement;
  private readonly onActivity = () => this.armIdle();

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
  }

  // ---- configuration -------------------------------------------------------------------------------
  get endpoint(): string {
    const raw = this.dataset.endpoint || scriptEndpoint || location.origin;
    return new URL(raw, location.href).href.replace(/\/+$/, '');
  }
  private get uiLang(): Lang {
    return this.dataset.lang === 'en' ? 'en' : 'zh-CN';
  }
  private get matterId(): string | undefined {
    return this.dataset.matter || undefined;
  }
  private get audience(): string | undefined {
    const a = this.dataset.audience;
    return a === '个人' || a === '法人' ? a : undefined;
  }
  private get idleSeconds(): number {
    const n = Number(this.dataset.idleSeconds);
    if (Number.isFinite(n) && n > 0) return n;
    return this.mode === 'kiosk' ? DEFAULT_IDLE_SECONDS : 0;
  }
  private get storageKey(): string {
    return `${STORAGE_PREFIX}${this.mode}:${this.endpoint}`;
  }

  /** Files chosen for the pre-check (in memory only). */
  get selectedFiles(): readonly File[] {
    return this.precheck?.selectedFiles ?? [];
  }

  connectedCallback(): void {
    if (!this.built) {
      this.built = true;
      const m = this.dataset.mode;
      this.mode = m === 'hall' || m === 'kiosk' ? m : 'portal';
      this.t = STRINGS[this.uiLang];
      this.restore();
      this.build();
      if (this.mode !== 'portal') this.isOpen = true;
      this.renderOpen();
      this.renderMessages();
      if (this.isOpen) this.askInitial();
    }
    // Any touch or key anywhere on the page counts as activity (events from inside the shadow root are composed).
    for (const type of ACTIVITY) window.addEventListener(type, this.onActivity, { capture: true, passive: true });
    this.armIdle();
  }

  disconnectedCallback(): void {
    for (const type of ACTIVITY) window.removeEventListener(type, this.onActivity, { capture: true });
    clearTimeout(this.idleTimer);
  }

  // ---- public API (CONTRACTS.md "Widget") -------------------------------------------------------------
  open(): void {
    this.isOpen = true;
    this.renderOpen();
    this.persist();
    (this.view === 'chat' ? this.input : this.pcView.querySelector<HTMLElement>('input'))?.focus();
    this.askInitial();
  }

  close(): void {
    if (this.mode !== 'portal') return; // the hall panel and the kiosk are always open
    this.isOpen = false;
    this.renderOpen();
    this.persist();
    this.launcher?.focus();
  }

  /** Asks a question; resolves with the data-answer object when the answer is complete. */
  ask(text: string, opts: { matterId?: string; label?: string } = {}): Promise<AnswerData | undefined> {
    const run = this.busy.then(() => this.send(text, opts));
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** For the widget's own buttons: a failed answer is already shown in its bubble. */
  private askQuietly(text: string, opts: { matterId?: string; label?: string } = {}): void {
    this.ask(text, opts).catch(() => undefined);
  }

  // ---- building ----------------------------------------------------------------------------------------
  private build(): void {
    const t = this.t;
    const style = h('style', null, CSS + HALL_FLOATING_CSS);
    const floating = this.mode === 'hall' && this.parentElement === document.body;
    this.wrap = h('div', { class: `root mode-${this.mode}${floating ? ' floating' : ''}`, lang: this.uiLang });
    if (this.mode === 'portal') {
      this.launcher = h('button', { type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'hb-panel', onClick: () => (this.isOpen ? this.close() : this.open()) }, t.launcher);
      this.wrap.append(this.launcher);
    }
    this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': t.title });
    this.input = h('textarea', { id: 'hb-input', rows: 2, placeholder: t.placeholder, 'aria-describedby': 'hb-hint', maxlength: 500, onKeydown: (e) => this.onInputKey(e as KeyboardEvent) });
    this.sendButton = h('button', { type: 'submit', class: 'primary send' }, t.send);
    const composer = h(
      'form',
      { class: 'composer', onSubmit: (e) => { e.preventDefault(); this.submitInput(); } },
      h('label', { for: 'hb-input', class: 'vh' }, t.inputLabel),
      this.input,
      this.sendButton,
    );
    const topics =
      this.mode === 'kiosk'
        ? h(
            'nav',
            { 'aria-labelledby': 'hb-topics' },
            h('h3', { id: 'hb-topics', class: 'vh' }, t.quickTopics),
            h('ul', { class: 'topics' }, QUICK_TOPICS.map((q) => h('li', null, h('button', { type: 'button', 'data-matter': q.matterId, onClick: () => this.askQuietly(q.question, { matterId: q.matterId, label: q.label[this.uiLang] }) }, q.label[this.uiLang])))),
          )
        : null;
    this.chatView = h('div', { class: 'chat-view' }, h('div', { class: 'body' }, topics, this.log), composer, h('p', { id: 'hb-hint', class: 'hint' }, this.mode === 'portal' ? t.hint : t.hint.replace(/，Esc.*$|, Esc.*$/, '')));
    this.precheck = new PrecheckView({ endpoint: this.endpoint, t, audience: this.audience, print: (title, sheet) => this.print(title, sheet), resolve: (u) => this.resolve(u) });
    this.pcView = h('div', { class: 'body pc-view', hidden: true }, this.precheck.el);
    this.tabs.chat = h('button', { type: 'button', 'aria-pressed': 'true', onClick: () => this.showView('chat') }, t.tabChat);
    this.tabs.precheck = h('button', { type: 'button', 'aria-pressed': 'false', onClick: () => this.showView('precheck') }, t.tabPrecheck);
    const header = h(
      'header',
      null,
      h('h2', { id: 'hb-title' }, t.title),
      this.tabs.chat,
      this.tabs.precheck,
      this.mode === 'hall' ? h('button', { type: 'button', class: 'handoff', onClick: () => this.handoff() }, t.handoff) : null,
      this.mode !== 'portal' ? h('button', { type: 'button', class: 'restart', onClick: () => this.wipe(false) }, t.newConversation) : null,
      this.mode === 'portal' ? h('button', { type: 'button', class: 'close', 'aria-label': t.close, onClick: () => this.close() }, '✕') : null,
    );
    this.status = h('p', { class: 'vh', role: 'status' });
    this.panel = h(
      'section',
      { id: 'hb-panel', class: 'panel', 'aria-labelledby': 'hb-title', onKeydown: (e) => this.onPanelKey(e as KeyboardEvent) },
      header,
      this.chatView,
      this.pcView,
      h('p', { class: 'disclaimer' }, t.disclaimer),
      this.status,
    );
    this.printSheet = h('div', { class: 'print-sheet', 'aria-hidden': 'true' });
    this.wrap.append(this.panel, this.printSheet);
    this.root.replaceChildren(style, this.wrap);
    if (this.matterId) void this.precheck.select(this.matterId);
  }

  private renderOpen(): void {
    this.panel.hidden = !this.isOpen;
    this.launcher?.setAttribute('aria-expanded', String(this.isOpen));
  }

  private showView(view: 'chat' | 'precheck'): void {
    this.view = view;
    this.chatView.hidden = view !== 'chat';
    this.pcView.hidden = view !== 'precheck';
    this.tabs.chat.setAttribute('aria-pressed', String(view === 'chat'));
    this.tabs.precheck.setAttribute('aria-pressed', String(view === 'precheck'));
    if (view === 'chat') this.input.focus();
    else this.precheck?.focus();
  }

  private onInputKey(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.submitInput();
    }
  }

  private onPanelKey(e: KeyboardEvent): void {
    if (e.key === 'Escape' && this.mode === 'portal') {
      e.preventDefault();
      this.close();
    }
  }

  private submitInput(): void {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = '';
    this.askQuietly(text);
  }

  private askInitial(): void {
    const q = this.dataset.question;
    if (q && !this.askedInitial && !this.messages.some((m) => m.role === 'user')) {
      this.askedInitial = true;
      this.askQuietly(q);
    }
  }

  // ---- conversation --------------------------------------------------------------------------------------
  private resolve(url: string): string {
    return new URL(url, `${this.endpoint}/`).href;
  }

  private async send(text: string, opts: { matterId?: string; label?: string }): Promise<AnswerData | undefined> {
    if (!this.isOpen) this.open();
    if (this.view !== 'chat') this.showView('chat');
    this.wipedNotice = false;
    const user: ChatMessage = { id: newId(), role: 'user', text, ...(opts.label ? { label: opts.label } : {}) };
    const reply: ChatMessage = { id: newId(), role: 'assistant', text: '' };
    const history = this.messages.filter((m) => !m.note && !m.error && m.text).slice(-HISTORY_SENT);
    // A clicked option or follow-up is about to be replaced: the focus goes to the input, not to nowhere.
    if (this.root.activeElement && this.log.contains(this.root.activeElement)) this.input.focus();
    this.messages.push(user, reply);
    this.renderMessages();
    const view = this.log.lastElementChild as HTMLElement;
    const textEl = view.querySelector('.text')!;
    this.log.setAttribute('aria-busy', 'true');
    this.sendButton.disabled = true;
    this.status.textContent = this.t.sending;
    const controller = (this.controller = new AbortController());
    const matterId = opts.matterId ?? this.matterId;
    const body = {
      id: this.conversationId,
      messages: [...history, user].map((m) => ({ id: m.id, role: m.role, parts: [{ type: 'text', text: m.text }] })),
      trigger: 'submit-message',
      ...(this.audience ? { audience: this.audience } : {}),
      ...(matterId ? { matterId } : {}),
    };
    try {
      const res = await fetch(`${this.endpoint}/api/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: controller.signal,
        credentials: 'omit',
      });
      if (!res.ok || !res.body) throw await errorOf(res, this.t.error);
      const sources: Source[] = [];
      for await (const part of uiMessageParts(res.body, controller.signal)) {
        if (part.type === 'text-delta') {
          reply.text += String(part.delta ?? '');
          textEl.textContent = reply.text;
          if (reply.text.length < 400) this.scrollToEnd();
        } else if (part.type === 'source-url') {
          const n = Number(/^c(\d+)$/.exec(String(part.sourceId))?.[1] ?? sources.length + 1);
          sources.push({ n, url: String(part.url), title: String(part.title ?? '') });
        } else if (part.type === 'data-answer') {
          reply.answer = part.data as AnswerData;
        } else if (part.type === 'error') {
          throw new Error(this.t.error); // the stream's own error text is not for citizens
        }
      }
      if (controller.signal.aborted) return undefined;
      reply.sources = sources;
      if (!reply.answer) throw new Error(this.t.error);
      if (reply.answer.conversationId) this.conversationId = reply.answer.conversationId;
      this.renderMessages();
      this.persist();
      this.emit('huiban:answer', reply.answer);
      return reply.answer;
    } catch (error) {
      if (controller.signal.aborted) return undefined;
      // The service's errors are in Chinese for citizens; a network failure's are not.
      reply.error = error instanceof ServiceError ? error.message : this.t.error;
      this.renderMessages();
      this.persist();
      throw error;
    } finally {
      if (this.controller === controller) {
        this.log.setAttribute('aria-busy', 'false');
        this.sendButton.disabled = false;
        this.status.textContent = '';
      }
    }
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  private handoff(): void {
    const messages = this.messages.filter((m) => !m.note && m.text).map((m) => ({ role: m.role, text: m.text }));
    this.emit('huiban:handoff', { conversationId: this.conversationId, messages });
    this.messages.push({ id: newId(), role: 'assistant', text: this.t.handoffNote, note: true });
    this.renderMessages();
    this.persist();
  }

  private async rate(m: ChatMessage, rating: 'up' | 'down'): Promise<void> {
    if (!m.answer) return;
    m.rating = rating;
    this.renderMessages();
    this.log.querySelector<HTMLElement>(`[data-message="${m.id}"] .feedback .${rating}`)?.focus();
    this.persist();
    this.emit('huiban:feedback', { answerId: m.answer.answerId, rating });
    try {
      await postJson(`${this.endpoint}/api/feedback`, { answerId: m.answer.answerId, rating }, this.t.error);
      this.status.textContent = this.t.thanks;
    } catch {
      // The event already told the host page; a lost rating is not worth an error in the citizen's face.
    }
  }

  // ---- rendering -----------------------------------------------------------------------------------------
  private renderMessages(): void {
    const t = this.t;
    const items = this.messages.map((m) => this.messageView(m));
    replace(this.log, this.messages.length ? null : h('div', { class: 'msg note' }, this.wipedNotice ? h('p', { class: 'text wiped' }, t.wiped) : null, h('p', { class: 'text' }, t.welcome)), items);
    this.scrollToEnd();
  }

  private messageView(m: ChatMessage): HTMLElement {
    const t = this.t;
    const a = m.answer;
    const cls = ['msg', m.role, m.note ? 'note' : '', a?.refused ? 'refused' : '', m.error ? 'error' : ''].filter(Boolean).join(' ');
    const byN = new Map((a?.citations ?? []).map((c) => [c.n, c]));
    const last = m === this.messages[this.messages.length - 1];
    return h(
      'div',
      { class: cls, 'data-message': m.id },
      h('p', { class: 'who' }, m.role === 'user' ? t.you : t.assistant),
      // Answers are the guides' Chinese, whatever the widget's language: screen readers switch voice.
      h('p', { class: 'text', lang: m.role === 'assistant' && !m.note ? 'zh-CN' : null }, m.label ?? m.text),
      m.error ? h('p', { class: 'text', role: 'alert' }, m.error) : null,
      a?.refused && !m.error ? h('span', { class: 'flag' }, t.refused) : null,
      m.sources?.length ? this.sourcesView(m, byN) : null,
      a?.clarify && last
        ? h(
            'div',
            { class: 'choices clarify', role: 'group', 'aria-label': a.clarify.question, lang: 'zh-CN' },
            h('p', null, t.chooseOption),
            a.clarify.options.map((o) => h('button', { type: 'button', 'data-option': o.id, onClick: () => this.askQuietly(this.questionBefore(m), { matterId: o.id, label: o.name }) }, o.name)),
          )
        : null,
      a?.followUps?.length && last
        ? h('div', { class: 'choices follow-ups', role: 'group', 'aria-label': t.followUps }, h('p', null, t.followUps), a.followUps.map((f) => h('button', { type: 'button', lang: 'zh-CN', onClick: () => this.askQuietly(f) }, f)))
        : null,
      a && !a.refused && !a.clarify
        ? h(
            'div',
            { class: 'feedback' },
            h('button', { type: 'button', class: 'up', 'aria-pressed': String(m.rating === 'up'), onClick: () => void this.rate(m, 'up') }, h('span', { 'aria-hidden': 'true' }, '✔ '), t.helpful),
            h('button', { type: 'button', class: 'down', 'aria-pressed': String(m.rating === 'down'), onClick: () => void this.rate(m, 'down') }, h('span', { 'aria-hidden': 'true' }, '✘ '), t.notHelpful),
          )
        : null,
    );
  }

  private sourcesView(m: ChatMessage, byN: Map<number, AnswerData['citations'][number]>): HTMLElement {
    const t = this.t;
    const list = h(
      'ul',
      { class: 'sources', 'aria-label': t.sources },
      (m.sources ?? []).map((s) => {
        const c = byN.get(s.n);
        const section = c ? sectionName(t, c.section) : '';
        return h(
          'li',
          null,
          h(
            'a',
            { href: this.resolve(s.url), target: '_blank', rel: 'noopener', 'data-n': s.n },
            h('span', { class: 'n' }, `[${s.n}]`),
            `${s.title}${section ? ` · ${section}` : ''}`,
            h('span', { class: 'vh' }, t.openSource),
            c ? h('span', { class: 'quote', lang: 'zh-CN' }, `“${c.quote}”`) : null,
          ),
        );
      }),
    );
    // A clarification's sources are its options' guides: folded away, the options are what matter.
    return m.answer?.clarify ? h('details', { class: 'sources-box' }, h('summary', null, `${t.sources}（${m.sources!.length}）`), list) : list;
  }

  /** The question a clarification answered (re-asked with the chosen matter pinned). */
  private questionBefore(m: ChatMessage): string {
    const i = this.messages.indexOf(m);
    for (let j = i - 1; j >= 0; j--) if (this.messages[j].role === 'user') return this.messages[j].text;
    return m.answer?.clarify?.options[0]?.name ?? '';
  }

  private scrollToEnd(): void {
    const body = this.log.parentElement;
    if (body) body.scrollTop = body.scrollHeight;
  }

  // ---- storage, idle wipe, print ---------------------------------------------------------------------------
  private persist(): void {
    try {
      const stored: Stored = { conversationId: this.conversationId, messages: this.messages.slice(-40), open: this.isOpen };
      sessionStorage.setItem(this.storageKey, JSON.stringify(stored));
    } catch {
      // Storage full or blocked (private mode): the conversation still works, it is just not remembered.
    }
  }

  private restore(): void {
    try {
      const raw = sessionStorage.getItem(this.storageKey);
      if (!raw) return;
      const s = JSON.parse(raw) as Stored;
      if (typeof s.conversationId === 'string' && Array.isArray(s.messages)) {
        this.conversationId = s.conversationId;
        this.messages = s.messages.filter((m) => m && (m.role === 'user' || m.role === 'assistant'));
        this.isOpen = !!s.open;
      }
    } catch {
      // Unreadable state is dropped.
    }
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.idleSeconds) this.idleTimer = setTimeout(() => this.wipe(true), this.idleSeconds * 1000);
  }

  /**
   * Forgets the session: the conversation, every storage key the widget wrote (session and local), the
   * chosen files and the pre-check report. The kiosk does this after data-idle-seconds without a touch.
   */
  private wipe(idle: boolean): void {
    this.controller?.abort();
    const hadSomething = this.messages.length > 0 || this.selectedFiles.length > 0;
    this.messages = [];
    this.conversationId = newId();
    this.askedInitial = false;
    for (const storage of [sessionStorage, localStorage]) {
      try {
        for (const key of Object.keys(storage)) if (key.startsWith(STORAGE_PREFIX)) storage.removeItem(key);
      } catch {
        // Storage blocked: nothing was written.
      }
    }
    this.precheck?.reset();
    if (this.matterId) void this.precheck?.select(this.matterId);
    replace(this.printSheet);
    this.input.value = '';
    this.wipedNotice = idle && hadSomething;
    this.renderMessages();
    if (this.view !== 'chat') this.showView('chat');
    if (idle && hadSomething) this.status.textContent = this.t.wiped;
    if (!idle || hadSomething) this.emit('huiban:reset', { idle });
    this.armIdle();
  }

  private print(title: string, sheet: HTMLElement): void {
    replace(this.printSheet, h('div', { class: 'pc' }, h('h1', null, title), sheet, h('p', null, this.t.disclaimer)));
    const style = document.createElement('style');
    style.textContent = HOST_PRINT_CSS;
    document.head.append(style);
    const done = () => {
      style.remove();
      window.removeEventListener('afterprint', done);
    };
    window.addEventListener('afterprint', done);
    window.print();
    setTimeout(done, 1000);
  }
}
