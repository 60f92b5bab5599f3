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

/** One block of text per field, each statement cited. */
function fieldBlock(g: Guide, field: AnswerField, cites: CitationList, brief: boolean): string {
  switch (field) {
    case 'conditions': {
      const items = brief ? g.conditions.slice(0, 3) : g.conditions;
      const more = brief && g.conditions.length > 3 ? `（共${g.conditions.length}项，详见指南）` : '';
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
}

export function composeExtractive({ guide: g, fields, faqSection }: ComposeInput): ExtractiveAnswer {
  const cites = new CitationList();
  const blocks: string[] = [`关于「${g.name}」（${g.department}${cites.cite(g, 'overview', g.department)}）：`];
  const faqIndex = faqSection?.startsWith('faq-') ? Number(faqSection.slice(4)) - 1 : -1;
  const faq = g.faq[faqIndex];
  if (faq) blocks.push(`常见问题“${faq.q}”：${faq.a}${cites.cite(g, faqSection!, faq.a)}`);
  const general = fields.length === 0;
  const shown: AnswerField[] = general ? ['conditions', 'materials', 'online', 'location', 'time-limit', 'fee'] : fields;
  for (const f of shown) blocks.push(fieldBlock(g, f, cites, general));
  if (g.notes && (general || fields.includes('materials') || fields.includes('conditions'))) {
    blocks.push(`特别提示：${g.notes}${cites.cite(g, 'notes', g.notes)}`);
  }
  blocks.push(DISCLAIMER);
  const followUps = ANSWER_FIELDS.filter((f) => !shown.includes(f) || general)
    .filter((f) => general ? ['process', 'result'].includes(f) : true)
    .slice(0, 3)
    .map((f) => FOLLOW_UP[f]);
  return { answer: blocks.join('\n'), citations: cites.items, followUps };
}
