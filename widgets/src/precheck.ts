import { errorOf, getJson, ServiceError } from './api.ts';
import { h, replace } from './dom.ts';
import { sectionName, STATUS_ICON, type Strings } from './i18n.ts';
import type { Guide, Material, MatterItem, PrecheckReport } from './types.ts';

export interface PrecheckHost {
  endpoint: string;
  t: Strings;
  audience?: string;
  /** Prints a sheet (the checklist or the report) and nothing else. */
  print(title: string, sheet: HTMLElement): void;
  resolve(url: string): string;
}

type Kind = 'required' | 'conditional' | 'optional' | 'exempt';
/** Exempt wins over required (CONTRACTS.md, pre-check). */
export function kindOf(m: Material): Kind {
  if (m.exempt) return 'exempt';
  if (m.required) return 'required';
  return m.when ? 'conditional' : 'optional';
}
const KIND_ICON: Record<Kind, string> = { required: '●', conditional: '◐', optional: '○', exempt: '⊘' };

const formatSize = (n: number) => (n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`);

/**
 * The pre-check flow: find the matter, see its materials (tick the situations that apply), choose files,
 * POST /api/precheck (multipart), read the report as a checklist. Files stay in memory only, until sent or
 * wiped.
 */
export class PrecheckView {
  readonly el: HTMLElement;
  private guide?: Guide;
  private files: File[] = [];
  private situations = new Set<number>();
  private report?: PrecheckReport;
  private searchTimer?: ReturnType<typeof setTimeout>;
  private searchAbort?: AbortController;
  private readonly search: HTMLInputElement;
  private readonly results: HTMLUListElement;
  private readonly matterBox: HTMLElement;

  constructor(private readonly host: PrecheckHost) {
    const t = host.t;
    this.search = h('input', { id: 'hb-pc-q', type: 'search', autocomplete: 'off', placeholder: t.pcSearchPlaceholder, onInput: () => this.onSearch() });
    this.results = h('ul', { class: 'results', 'aria-label': t.pcResults });
    this.matterBox = h('div', { class: 'matter' });
    this.el = h(
      'section',
      { class: 'pc', 'aria-labelledby': 'hb-pc-title' },
      h('h3', { id: 'hb-pc-title' }, t.tabPrecheck),
      h('p', null, t.pcIntro),
      h('div', { class: 'finder' }, h('label', { for: 'hb-pc-q' }, t.pcSearch), this.search, h('div', { 'aria-live': 'polite' }, this.results)),
      this.matterBox,
    );
  }

  get selectedFiles(): readonly File[] {
    return this.files;
  }

  focus(): void {
    (this.guide ? this.matterBox.querySelector<HTMLElement>('h4') : this.search)?.focus();
  }

  /** Forgets everything: matter, ticks, files (the input's value too) and the report. */
  reset(): void {
    this.guide = undefined;
    this.files = [];
    this.situations.clear();
    this.report = undefined;
    this.search.value = '';
    replace(this.results);
    replace(this.matterBox);
    this.el.querySelector<HTMLElement>('.finder')!.hidden = false;
  }

  /** The service's own (Chinese) message, or a generic one for network failures. */
  private message(error: unknown): string {
    return error instanceof ServiceError ? error.message : this.host.t.pcError;
  }

  private onSearch(): void {
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => void this.runSearch(), 200);
  }

  private async runSearch(): Promise<void> {
    const q = this.search.value.trim();
    this.searchAbort?.abort();
    if (!q) return replace(this.results);
    const abort = (this.searchAbort = new AbortController());
    const params = new URLSearchParams({ q, pageSize: '8' });
    if (this.host.audience) params.set('audience', this.host.audience);
    try {
      const { items } = await getJson<{ items: MatterItem[] }>(`${this.host.endpoint}/api/matters?${params}`, this.host.t.pcError, abort.signal);
      replace(
        this.results,
        items.length
          ? items.map((m) => h('li', null, h('button', { type: 'button', 'data-matter': m.id, onClick: () => void this.select(m.id) }, m.name)))
          : h('li', null, this.host.t.pcNoResults),
      );
    } catch (error) {
      if ((error as Error).name !== 'AbortError') replace(this.results, h('li', { role: 'alert' }, this.message(error)));
    }
  }

  /** Shows a matter's materials (also used for the page's own matter, data-matter). */
  async select(matterId: string): Promise<void> {
    const t = this.host.t;
    try {
      this.guide = await getJson<Guide>(`${this.host.endpoint}/api/matters/${encodeURIComponent(matterId)}`, t.pcError);
    } catch (error) {
      replace(this.matterBox, h('p', { role: 'alert' }, this.message(error)));
      return;
    }
    this.situations.clear();
    this.report = undefined;
    this.el.querySelector<HTMLElement>('.finder')!.hidden = true;
    this.render();
    this.matterBox.querySelector<HTMLElement>('h4')?.focus();
  }

  private materialsList(g: Guide, interactive: boolean): HTMLOListElement {
    const t = this.host.t;
    const label: Record<Kind, string> = { required: t.kindRequired, conditional: t.kindConditional, optional: t.kindOptional, exempt: t.kindExempt };
    return h(
      'ol',
      { class: 'materials' },
      g.materials.map((m, i) => {
        const kind = kindOf(m);
        const n = i + 1;
        const id = `hb-sit-${n}`;
        return h(
          'li',
          { class: `item kind-${kind}`, 'data-index': n },
          h('span', { class: 'kind' }, h('span', { 'aria-hidden': 'true' }, `${KIND_ICON[kind]} `), `${label[kind]}`),
          h('strong', null, `${n}. ${m.name}`),
          `（${m.form}${m.copies ? `，${m.copies}份` : ''}）`,
          m.requirements ? h('span', { class: 'req' }, m.requirements) : null,
          kind === 'conditional'
            ? interactive
              ? h(
                  'label',
                  { class: 'situation', for: id },
                  h('input', {
                    id,
                    type: 'checkbox',
                    'data-situation': n,
                    checked: this.situations.has(n),
                    onChange: (e) => ((e.target as HTMLInputElement).checked ? this.situations.add(n) : this.situations.delete(n)),
                  }),
                  h('span', null, t.pcSituation, m.when),
                )
              : h('span', { class: 'req' }, `${t.kindConditional}：${m.when}`)
            : null,
        );
      }),
    );
  }

  private render(): void {
    const g = this.guide;
    if (!g) return;
    const t = this.host.t;
    const fileInput = h('input', { id: 'hb-pc-files', class: 'vh', type: 'file', multiple: true, accept: '.pdf,.jpg,.jpeg,.png,.docx,.txt,application/pdf,image/*', onChange: (e) => this.addFiles(e.target as HTMLInputElement) });
    const fileList = h(
      'ul',
      { class: 'files', 'aria-label': t.pcSelected },
      this.files.length
        ? this.files.map((f, i) =>
            h(
              'li',
              null,
              `${f.name}（${formatSize(f.size)}）`,
              ' ',
              h('button', { type: 'button', 'aria-label': `${t.pcRemove} ${f.name}`, onClick: () => this.removeFile(i) }, t.pcRemove),
            ),
          )
        : h('li', null, t.pcNoFiles),
    );
    const start = h('button', { type: 'button', class: 'primary start', disabled: this.files.length === 0, onClick: () => void this.submit() }, t.pcStart);
    replace(
      this.matterBox,
      h('h4', { tabindex: '-1' }, g.name),
      h('div', { class: 'actions' }, h('button', { type: 'button', onClick: () => this.change() }, t.pcChange), h('button', { type: 'button', class: 'print-list', onClick: () => this.printList() }, t.pcPrintList)),
      h('h4', null, t.pcMaterials),
      this.materialsList(g, true),
      h('div', null, fileInput, h('label', { class: 'filepick', for: 'hb-pc-files' }, t.pcFiles)),
      fileList,
      h('div', { class: 'actions' }, start),
      h('div', { class: 'report-box', 'aria-live': 'polite' }, this.report ? this.reportView(this.report) : null),
    );
  }

  private change(): void {
    this.reset();
    this.search.focus();
  }

  private addFiles(input: HTMLInputElement): void {
    this.files = [...this.files, ...Array.from(input.files ?? [])];
    input.value = '';
    this.render();
    this.matterBox.querySelector<HTMLElement>('.start')?.focus();
  }

  private removeFile(i: number): void {
    this.files = this.files.filter((_, j) => j !== i);
    this.render();
    this.matterBox.querySelector<HTMLElement>('#hb-pc-files')?.focus();
  }

  private async submit(): Promise<void> {
    const g = this.guide;
    if (!g || !this.files.length) return;
    const t = this.host.t;
    const box = this.matterBox.querySelector('.report-box')!;
    const start = this.matterBox.querySelector<HTMLButtonElement>('.start')!;
    start.disabled = true;
    replace(box, h('p', null, t.pcChecking));
    const form = new FormData();
    form.append('matterId', g.id);
    for (const f of this.files) form.append('files', f, f.name);
    if (this.host.audience) form.append('audience', this.host.audience);
    form.append('situations', JSON.stringify([...this.situations].sort((a, b) => a - b)));
    try {
      const res = await fetch(`${this.host.endpoint}/api/precheck`, { method: 'POST', body: form, credentials: 'omit' });
      if (!res.ok) throw await errorOf(res, t.pcError);
      this.report = (await res.json()) as PrecheckReport;
      this.render();
      const heading = this.matterBox.querySelector<HTMLElement>('.report h4');
      heading?.focus();
      heading?.scrollIntoView({ block: 'start' });
    } catch (error) {
      start.disabled = false;
      replace(box, h('p', { role: 'alert' }, this.message(error)));
    }
  }

  private reportView(r: PrecheckReport, forPrint = false): HTMLElement {
    const t = this.host.t;
    return h(
      'div',
      { class: 'report' },
      forPrint ? null : h('h4', { tabindex: '-1' }, t.pcReport),
      h('p', { class: 'summary' }, r.summary),
      h(
        'ol',
        { class: 'report' },
        r.materials.map((m) =>
          h(
            'li',
            { class: `item status-${m.status}`, 'data-index': m.index, 'data-status': m.status },
            h('span', { class: `status ${m.status}` }, h('span', { 'aria-hidden': 'true' }, `${STATUS_ICON[m.status]} `), t.status[m.status] ?? m.status),
            h('strong', null, `${m.index}. ${m.name}`, m.form ? `（${m.form}${m.copies ? `，${m.copies}份` : ''}）` : ''),
            m.requirements ? h('span', { class: 'req' }, m.requirements) : null,
            m.question ? h('span', { class: 'req' }, m.question) : null,
            m.files.length ? h('span', { class: 'req' }, t.pcFilesOf, m.files.join('、')) : null,
            m.problems.length
              ? h('ul', { class: 'problems' }, m.problems.map((p) => h('li', null, p.message, p.advice ? h('span', { class: 'req' }, t.pcAdvice, p.advice) : null)))
              : null,
            m.citation && !forPrint
              ? h('a', { href: this.host.resolve(m.citation.url), target: '_blank', rel: 'noopener', class: 'req' }, `${sectionName(t, m.citation.section)}${t.openSource}`)
              : null,
          ),
        ),
      ),
      r.unmatched.length
        ? h('div', null, h('h4', null, t.pcUnmatched), h('ul', null, r.unmatched.map((u) => h('li', null, `${u.file}：${t.reasons[u.reason] ?? u.reason}`, u.advice ? h('span', { class: 'req' }, t.pcAdvice, u.advice) : null))))
        : null,
      r.disclaimer ? h('p', { class: 'req' }, r.disclaimer) : null,
      forPrint ? null : h('div', { class: 'actions' }, h('button', { type: 'button', class: 'print-report', onClick: () => this.printReport() }, t.pcPrintReport)),
    );
  }

  private printList(): void {
    if (!this.guide) return;
    this.host.print(`${this.guide.name} · ${this.host.t.pcPrintTitle}`, this.materialsList(this.guide, false));
  }

  private printReport(): void {
    if (!this.guide || !this.report) return;
    this.host.print(`${this.guide.name} · ${this.host.t.pcReport}`, this.reportView(this.report, true));
  }
}
