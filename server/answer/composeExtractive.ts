import fs from 'node:fs';
import YAML from 'yaml';
import { materialKind, type Guide, type Material } from '../../ingest/guideSchema.ts';
import { CitationList } from './citations.ts';
import type { Citation } from './schema.ts';

/**
 * The default answer, with no language model: built from the guide's own fields that the question asks
 * about, every statement followed by its citation marker. Nothing is paraphrased beyond fixed labels.
 */
export interface ExtractiveAnswer {
  answer: string;
  citations: Citation[];
  followUps: string[];
}

export const DISCLAIMER = '以上内容摘自办事指南，具体以“一网通办”发布的官方办事指南为准。';

/** The fields an answer can be about, in the order they are shown. */
export const ANSWER_FIELDS = ['conditions', 'materials', 'process', 'time-limit', 'fee', 'online', 'location', 'result'] as const;
export type AnswerField = (typeof ANSWER_FIELDS)[number];

const FOLLOW_UP: Record<AnswerField, string> = {
  conditions: '办理需要满足什么条件？',
  materials: '需要准备哪些材料？',
  process: '办理流程是怎样的？',
  'time-limit': '多久能办好？',
  fee: '要收费吗？',
  online: '可以在网上办吗？',
  location: '在哪里办、什么时间？',
  result: '办完能拿到什么？',
};

function materialLine(g: Guide, m: Material, i: number, cites: CitationList): string {
  const sec = `material-${i + 1}`;
  const ref = cites.cite(g, sec, m.name);
  switch (materialKind(m)) {
    case 'exempt':
      return `${i + 1}. ${m.name}：${m.requirements.includes('免于提交') ? m.requirements : `免于提交${m.requirements ? `（${m.requirements}）` : ''}`}${ref}`;
    case 'conditional':
      return `${i + 1}. ${m.name}（${m.form}${m.copies ? `${m.copies}份` : ''}）：视情形提供（${m.when}）${ref}`;
    case 'optional':
      return `${i + 1}. ${m.name}（${m.form}${m.copies ? `${m.copies}份` : ''}）：可选提供${ref}`;
    default:
      return `${i + 1}. ${m.name}（${m.form}${m.copies ? `${m.copies}份` : ''}）${m.requirements ? `：${m.requirements}` : ''}${ref}`;
  }
}

const BRIEF_CONDITIONS = 6;

/** One block of text per field, each statement cited. */
function fieldBlock(g: Guide, field: AnswerField, cites: CitationList, brief: boolean): string {
  switch (field) {
    case 'conditions': {
      // A general answer lists at most BRIEF_CONDITIONS (the guides have 2–5): a condition left out is often
      // the one asked about ("多少天内要备案").
      const items = brief ? g.conditions.slice(0, BRIEF_CONDITIONS) : g.conditions;
      const more = brief && g.conditions.length > BRIEF_CONDITIONS ? `（共${g.conditions.length}项，详见指南）` : '';
      return `办理条件${more}：\n${items.map((c, i) => `${i + 1}. ${c}${cites.cite(g, 'conditions', c)}`).join('\n')}`;
    }
    case 'materials': {
      const lines = g.materials.map((m, i) => materialLine(g, m, i, cites));
      const exempt = g.materials.filter((m) => materialKind(m) === 'exempt').length;
      const conditional = g.materials.filter((m) => materialKind(m) === 'conditional').length;
      const notes = [
        conditional ? `其中${conditional}项视情形提供，请对照自己的情况准备` : '',
        exempt ? `${exempt}项免于提交（通过电子证照或数据共享核验）` : '',
      ].filter(Boolean);
      return `需要准备的材料：\n${lines.join('\n')}${notes.length ? `\n${notes.join('；')}。` : ''}`;
    }
    case 'process':
      return `办理流程：\n${g.process.map((p, i) => `${i + 1}. ${p}${cites.cite(g, 'process', p)}`).join('\n')}`;
    case 'time-limit': {
      const promised = cites.cite(g, 'time-limit', g.promisedTimeLimit);
      return `办理时限：承诺${g.promisedTimeLimit}办结${promised}（法定时限${g.legalTimeLimit}${cites.cite(g, 'time-limit', g.legalTimeLimit)}）。`;
    }
    case 'location': {
      const place = cites.cite(g, 'location', g.location);
      return `办理地点：${g.location}${place}\n办理时间：${g.hours}${cites.cite(g, 'location', g.hours)}`;
    }
    case 'fee':
      return `收费：${g.fee}${cites.cite(g, 'fee', g.fee)}`;
    case 'online': {
      const how = g.online.depth === '仅线下' ? '目前只能到现场办理（仅线下）' : `可以网上办理（${g.online.depth}）`;
      const depthRef = cites.cite(g, 'online', g.online.depth);
      const entry = g.online.entry ? `，入口：${g.online.entry}${cites.cite(g, 'online', g.online.entry)}` : '';
      return `网上办理：${how}${depthRef}${entry}；需到现场${g.visits}次。`;
    }
    case 'result':
      return `办理结果：${g.result}${cites.cite(g, 'result', g.result)}`;
  }
}

export interface ComposeInput {
  guide: Guide;
  /** Fields the question asks about; empty = a general answer (how to handle the matter). */
  fields: AnswerField[];
  /** A FAQ entry (faq-<n>) or the notes that matched the question closely: shown first. */
  faqSection?: string;
  /**
   * The question: when given, the guide's single statements (a condition, a step, the result, a FAQ answer,
   * the notes) that answer it most closely are shown too, when the blocks of the fields asked about do not
   * already hold them ("要公告多少天" asks about a time, but its answer is a condition).
   */
  question?: string;
}

// ---------------------------------------------------------------------------------------------- related statements

/** A statement of the guide that can be shown on its own, with the section it is cited to. */
interface Statement {
  section: string;
  label: string;
  text: string;
}

const HAN_RUN = /\p{Script=Han}+/gu;

function bigrams(text: string): Set<string> {
  const out = new Set<string>();
  for (const run of text.match(HAN_RUN) ?? []) {
    const cs = [...run];
    for (let i = 0; i + 1 < cs.length; i++) out.add(cs[i] + cs[i + 1]);
  }
  return out;
}

/**
 * Pairs of characters that say how a question asks, not what it is about (办理, 需要, 多久…): the generic words
 * of the coverage score and the section cue words. They never make a statement related.
 */
const ASKING: Set<string> = (() => {
  const generic = (YAML.parse(fs.readFileSync(new URL('./confidence.yaml', import.meta.url), 'utf8')) as { generic: string[] }).generic;
  const fields = (YAML.parse(fs.readFileSync(new URL('../retrieval/fields.yaml', import.meta.url), 'utf8')) as { sections: Record<string, string[]> }).sections;
  return new Set([...generic, ...Object.values(fields).flat()].flatMap((w) => [...bigrams(w)]));
})();

/** The question asks for an amount of time (多久, 几天, 提前多少天, 有效期…) or a number (多少, 几个, 至少…). */
const ASKS_TIME = /多久|多长|几天|几日|多少天|多少日|几个月|多少个月|几年|多少年|几个工作日|提前|期限|有效期|时间要求|时限|什么时候/u;
const ASKS_NUMBER = /多少|几个|几名|几人|几次|至少|最多|最少|不少于|不超过|上限|下限|比例|标准/u;
const NUM = '[0-9０-９]+|[一二两三四五六七八九十百千万半]+';
const HAS_TIME = new RegExp(`(${NUM})\\s*(个工作日|工作日|个自然日|日|天|个月|月|年|周|小时|分钟)`, 'u');
const HAS_NUMBER = new RegExp(`(${NUM})\\s*(%|％|元|万元|人|名|个|家|次|份|平方米|米|分|周岁|岁)`, 'u');

const NAMED_WEIGHT = 0.7;

const SYNONYMS: Record<string, string[]> = (
  YAML.parse(fs.readFileSync(new URL('./synonyms.yaml', import.meta.url), 'utf8')) as { words: Record<string, string[]> }
).words;

function statementsOf(g: Guide): Statement[] {
  const out: Statement[] = [];
  g.conditions.forEach((c) => out.push({ section: 'conditions', label: '办理条件', text: c }));
  g.process.forEach((p) => out.push({ section: 'process', label: '办理流程', text: p }));
  if (g.result) out.push({ section: 'result', label: '办理结果', text: g.result });
  g.faq.forEach((f, i) => out.push({ section: `faq-${i + 1}`, label: `常见问题“${f.q}”`, text: f.a }));
  if (g.notes) out.push({ section: 'notes', label: '特别提示', text: g.notes });
  return out;
}

/**
 * The statements of the guide that answer the question most closely: shared pairs of characters (those of
 * asking left out), each weighted by how rare it is among the guide's statements, and a bonus when the
 * question asks for a time or a number that the statement gives. At most `max`, best first, each scoring at
 * least `minScore` and at least `near` of the best.
 */
export function relatedStatements(g: Guide, question: string, opts: { max?: number; minScore?: number; near?: number } = {}): Statement[] {
  const { max = 4, minScore = 2, near = 0.3 } = opts;
  // The matter's own name says which guide more than which statement of it: its pairs count less.
  const named = bigrams([g.name, ...g.aliases].join('\n'));
  // Everyday words also count as the guides' words for them (自己 → 自行, 到期 → 届满).
  const expanded = [question, ...Object.entries(SYNONYMS).filter(([w]) => question.includes(w)).flatMap(([, xs]) => xs)].join('\n');
  const asked = [...bigrams(expanded)].filter((b) => !ASKING.has(b));
  const all = statementsOf(g);
  if (!all.length) return [];
  const grams = all.map((s) => bigrams(s.label.startsWith('常见问题') ? `${s.label}${s.text}` : s.text));
  const df = new Map<string, number>();
  for (const gs of grams) for (const b of gs) df.set(b, (df.get(b) ?? 0) + 1);
  const idf = (b: string) => Math.log(1 + all.length / (df.get(b) ?? 1)) * (named.has(b) ? NAMED_WEIGHT : 1);
  const time = ASKS_TIME.test(question);
  const number = ASKS_NUMBER.test(question);
  const scored = all
    .map((s, i) => {
      const shared = asked.filter((b) => grams[i].has(b));
      const gives = (time && HAS_TIME.test(s.text)) || (number && HAS_NUMBER.test(s.text));
      // Only the matter's own name in common ("灵活就业登记怎么办理"): the question asks about the matter as a
      // whole, not about this statement, unless it asks for the time or number the statement gives.
      if (!shared.length || (shared.every((b) => named.has(b)) && !gives)) return { s, score: 0 };
      let score = shared.reduce((a, b) => a + idf(b), 0);
      if (time && HAS_TIME.test(s.text)) score += 1.5;
      else if (number && HAS_NUMBER.test(s.text)) score += 1;
      return { s, score };
    })
    .filter((x) => x.score >= minScore)
    .sort((a, b) => b.score - a.score);
  const best = scored[0]?.score ?? 0;
  return scored.filter((x) => x.score >= best * near).slice(0, max).map((x) => x.s);
}

export function composeExtractive({ guide: g, fields, faqSection, question }: ComposeInput): ExtractiveAnswer {
  const cites = new CitationList();
  const blocks: string[] = [`关于「${g.name}」（${g.department}${cites.cite(g, 'overview', g.department)}）：`];
  const faqIndex = faqSection?.startsWith('faq-') ? Number(faqSection.slice(4)) - 1 : -1;
  const faq = g.faq[faqIndex];
  if (faq) blocks.push(`常见问题“${faq.q}”：${faq.a}${cites.cite(g, faqSection!, faq.a)}`);
  const general = fields.length === 0;
  const shown: AnswerField[] = general ? ['conditions', 'materials', 'process', 'online', 'location', 'time-limit', 'fee'] : fields;
  if (question) {
    // What the field blocks (and the FAQ entry) already say is not repeated; they are drafted once without
    // keeping their citations, so that the numbers still follow the order of the text.
    const said = [...blocks, ...shown.map((f) => fieldBlock(g, f, new CitationList(), general))].join('\n');
    const related = relatedStatements(g, question).filter((st) => !said.includes(st.text));
    for (const st of related) blocks.push(`${st.label}：${st.text}${cites.cite(g, st.section, st.text)}`);
  }
  for (const f of shown) blocks.push(fieldBlock(g, f, cites, general));
  if (g.notes && (general || fields.includes('materials') || fields.includes('conditions')) && !blocks.some((b) => b.includes(g.notes))) {
    blocks.push(`特别提示：${g.notes}${cites.cite(g, 'notes', g.notes)}`);
  }
  blocks.push(DISCLAIMER);
  const followUps = ANSWER_FIELDS.filter((f) => !shown.includes(f))
    .slice(0, 3)
    .map((f) => FOLLOW_UP[f]);
  return { answer: blocks.join('\n'), citations: cites.items, followUps };
}
