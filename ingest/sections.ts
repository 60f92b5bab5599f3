import { materialKind, type Guide } from './guideSchema.ts';

/**
 * One section of a guide, as cited (CONTRACTS.md section ids). `values` are the guide's own text values that
 * belong to it (a citation quote must be a substring of one of them); `text` is the rendered section, with
 * labels, used for indexing and display.
 */
export interface Section {
  id: string;
  title: string;
  values: string[];
  text: string;
}

const KIND_LABEL = { required: '必须提交', conditional: '视情形提交', optional: '可选提交', exempt: '免于提交' } as const;

/**
 * Guides are read-only once loaded, and the answer path asks for a guide's sections many times per question
 * (composing, every citation check, the coverage score): they are built once per guide object.
 */
const built = new WeakMap<Guide, Section[]>();

/** The sections of a guide in reading order. Empty sections (no notes, no FAQ) are left out. */
export function guideSections(g: Guide): Section[] {
  let s = built.get(g);
  if (!s) built.set(g, (s = buildSections(g)));
  return s;
}

function buildSections(g: Guide): Section[] {
  const s: Section[] = [];
  const add = (id: string, title: string, values: string[], text: string) => {
    const vs = values.map((v) => v.trim()).filter(Boolean);
    if (vs.length) s.push({ id, title, values: vs, text });
  };
  add(
    'overview',
    '事项概况',
    [g.name, ...g.aliases, g.department, g.audience.join('、'), g.type, g.theme, g.contact],
    [
      `事项名称：${g.name}`,
      g.aliases.length ? `常见说法：${g.aliases.join('；')}` : '',
      `实施主体：${g.department}`,
      `服务对象：${g.audience.join('、')}`,
      `事项类型：${g.type}`,
      g.theme ? `主题：${g.theme}` : '',
      `咨询方式：${g.contact}`,
    ].filter(Boolean).join('\n'),
  );
  add('conditions', '受理条件', g.conditions, g.conditions.map((c, i) => `${i + 1}. ${c}`).join('\n'));
  add(
    'materials',
    '申请材料',
    g.materials.map((m) => m.name),
    g.materials.map((m, i) => `${i + 1}. ${m.name}（${m.form}，${KIND_LABEL[materialKind(m)]}）`).join('\n'),
  );
  g.materials.forEach((m, i) => {
    const kind = materialKind(m);
    add(
      `material-${i + 1}`,
      `材料${i + 1}：${m.name}`,
      [m.name, m.form, m.when, m.requirements],
      [
        `材料名称：${m.name}`,
        `材料形式：${m.form}${m.copies ? `，${m.copies}份` : ''}`,
        `提交要求：${KIND_LABEL[kind]}${kind === 'conditional' ? `（${m.when}）` : ''}`,
        m.requirements ? `材料要求：${m.requirements}` : '',
      ].filter(Boolean).join('\n'),
    );
  });
  add('process', '办理流程', g.process, g.process.map((p, i) => `${i + 1}. ${p}`).join('\n'));
  add(
    'time-limit',
    '办理时限',
    [g.legalTimeLimit, g.promisedTimeLimit],
    `法定办结时限：${g.legalTimeLimit}\n承诺办结时限：${g.promisedTimeLimit}`,
  );
  add('fee', '收费标准', [g.fee], `收费：${g.fee}`);
  add(
    'online',
    '网上办理',
    [g.online.depth, g.online.entry],
    [
      `网办深度：${g.online.depth}`,
      g.online.entry ? `办理入口：${g.online.entry}` : '',
      `到现场次数：${g.visits}次`,
    ].filter(Boolean).join('\n'),
  );
  add('location', '办理地点和时间', [g.location, g.hours], `办理地点：${g.location}\n办理时间：${g.hours}`);
  add('result', '办理结果', [g.result], `审批结果：${g.result}`);
  add('basis', '设定依据', g.basis, g.basis.join('\n'));
  g.faq.forEach((f, i) => add(`faq-${i + 1}`, `常见问题${i + 1}`, [f.q, f.a], `问：${f.q}\n答：${f.a}`));
  add('notes', '特别提示', [g.notes], g.notes);
  return s;
}

/** Section ids a guide page must carry as anchors. */
export function sectionIds(g: Guide): string[] {
  return guideSections(g).map((x) => x.id);
}
