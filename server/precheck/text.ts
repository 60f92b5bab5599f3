/**
 * Text helpers for uploaded documents: normalising what PDF text layers and OCR give back, reading labelled
 * fields (姓名：…), dates and validity periods. Pure functions, no I/O.
 */

/**
 * CJK Radicals Supplement (U+2E80–U+2EFF) code points that Chromium-made PDFs use in place of ordinary
 * hanzi; NFKC leaves these alone, so they are mapped by hand (ENVIRONMENT.md). Kangxi radicals
 * (U+2F00–U+2FDF) are handled by NFKC per character.
 */
const RADICALS_SUPPLEMENT: Record<string, string> = {
  '⺀': '冫', '⺁': '厂', '⺃': '乚', '⺄': '乙', '⺅': '亻', '⺇': '几', '⺈': '刀', '⺉': '刂', '⺊': '卜', '⺋': '卩',
  '⺌': '小', '⺍': '小', '⺎': '兀', '⺏': '尣', '⺐': '尢', '⺑': '尣', '⺒': '巳', '⺓': '幺', '⺔': '彑', '⺕': '彐',
  '⺖': '忄', '⺗': '心', '⺘': '扌', '⺙': '攵', '⺛': '旡', '⺜': '日', '⺝': '月', '⺞': '歹', '⺟': '母', '⺠': '民',
  '⺡': '氵', '⺢': '氺', '⺣': '灬', '⺤': '爫', '⺥': '爫', '⺦': '丬', '⺧': '牛', '⺨': '犭', '⺩': '王', '⺪': '疋',
  '⺫': '目', '⺬': '示', '⺭': '礻', '⺮': '竹', '⺯': '糸', '⺰': '纟', '⺱': '网', '⺲': '罒', '⺳': '网', '⺴': '网',
  '⺵': '网', '⺶': '羊', '⺷': '羊', '⺸': '羊', '⺹': '老', '⺺': '聿', '⺻': '聿', '⺼': '肉', '⺽': '臼', '⺾': '艹',
  '⺿': '艹', '⻀': '艹', '⻁': '虎', '⻂': '衤', '⻃': '西', '⻄': '西', '⻅': '见', '⻆': '角', '⻇': '角', '⻈': '讠',
  '⻉': '贝', '⻊': '足', '⻋': '车', '⻌': '辶', '⻍': '辶', '⻎': '辶', '⻏': '阝', '⻐': '钅', '⻑': '長', '⻒': '镸',
  '⻓': '长', '⻔': '门', '⻕': '阝', '⻖': '阝', '⻗': '雨', '⻘': '青', '⻙': '韦', '⻚': '页', '⻛': '风', '⻜': '飞',
  '⻝': '食', '⻞': '飠', '⻟': '饣', '⻠': '饣', '⻡': '首', '⻢': '马', '⻣': '骨', '⻤': '鬼', '⻥': '鱼', '⻦': '鸟',
  '⻧': '卤', '⻨': '麦', '⻩': '黄', '⻪': '黾', '⻫': '齐', '⻬': '齐', '⻭': '齿', '⻮': '齿', '⻯': '龙', '⻰': '龙',
  '⻱': '龟', '⻲': '龟', '⻳': '龟',
};

/**
 * Normalises extracted text: Kangxi and supplement radicals to ordinary hanzi, full-width ASCII letters and
 * digits to half-width (so 2O25 / ２０２５ read as dates), no control characters; Chinese punctuation such as
 * "：" is kept (NFKC on the whole text would change it).
 */
export function normalizeExtracted(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x2f00 && cp <= 0x2fdf) out += ch.normalize('NFKC');
    else if (cp >= 0x2e80 && cp <= 0x2eff) out += RADICALS_SUPPLEMENT[ch] ?? ch;
    else if (cp >= 0xff10 && cp <= 0xff19) out += String.fromCharCode(cp - 0xfee0); // ０-９
    else if ((cp >= 0xff21 && cp <= 0xff3a) || (cp >= 0xff41 && cp <= 0xff5a)) out += String.fromCharCode(cp - 0xfee0);
    else if (cp === 0x3000) out += ' ';
    else if (cp < 0x20 && ch !== '\n' && ch !== '\t') out += cp === 0x0d ? '' : ' ';
    else if (cp >= 0x200b && cp <= 0x200f) continue;
    else out += ch;
  }
  return out.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

/** The text without any whitespace (OCR and PDF text layers space characters unpredictably). */
export const compact = (s: string) => s.replace(/\s+/g, '');

/** Non-empty trimmed lines. */
export const linesOf = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);

/** Character bigrams of the hanzi, letters and digits in a string. */
export function bigrams(s: string): Set<string> {
  const t = s.replace(/[^\p{Script=Han}A-Za-z0-9]/gu, '');
  const out = new Set<string>();
  for (let i = 0; i + 1 < t.length; i++) out.add(t.slice(i, i + 2));
  if (t.length === 1) out.add(t);
  return out;
}

/** Share of `needle`'s bigrams that occur in `hay` (1 = every bigram present). */
export function containment(needle: Set<string>, hay: Set<string>): number {
  if (!needle.size) return 0;
  let n = 0;
  for (const b of needle) if (hay.has(b)) n++;
  return n / needle.size;
}

/** Labels that start a new field on forms and certificates: a value read after one label stops at the next. */
const FIELD_LABELS = [
  '姓名', '性别', '民族', '出生', '住址', '公民身份号码', '身份证号码', '身份证号', '签发机关', '有效期限', '有效期',
  '名称', '类型', '法定代表人', '负责人', '经营者', '经营范围', '注册资本', '成立日期', '营业期限', '住所', '经营场所',
  '统一社会信用代码', '联系电话', '电话', '手机', '地址', '申请人', '委托人', '受托人', '代理人', '出租人', '承租人',
  '日期', '签字', '签名', '盖章', '邮编', '邮政编码', '职务', '证件号码', '证件类型', '登记机关',
];
const LABEL_RE = new RegExp(`(${FIELD_LABELS.sort((a, b) => b.length - a.length).join('|')})`);

/**
 * Values written after a label on the same line ("姓名：张伟", "姓名 张伟", OCR's "姓名张伟性别男"), cut at the
 * next label. `label` is matched as written, optionally followed by a bracketed note ("申请人（签字）").
 */
export function fieldValues(text: string, label: string, opts: { separated?: boolean } = {}): string[] {
  const out: string[] = [];
  // `separated`: the value must follow a colon or a space ("申请人：张伟"), so "与申请人关系：女儿" is no value.
  const re = new RegExp(`${label}(?:[（(][^）)\\n]{0,12}[）)])?[\\s:：]${opts.separated ? '+' : '*'}([^\\n]*)`, 'g');
  for (const m of text.matchAll(re)) {
    let v = m[1];
    const next = v.search(LABEL_RE);
    if (next >= 0) v = v.slice(0, next);
    v = v.trim();
    if (v) out.push(v);
  }
  return out;
}

/** A person's name as written on Chinese documents: 2–4 hanzi, or a minority name with "·". */
export function personName(v: string): string | undefined {
  const m = v.replace(/\s+/g, '').match(/^[\p{Script=Han}][\p{Script=Han}·]{1,9}/u);
  if (!m) return undefined;
  const name = m[0];
  if (name.length > 4 && !name.includes('·')) return undefined;
  return name;
}

/** A calendar day (UTC), or undefined when the parts are not a real date. */
export function makeDate(y: number, m: number, d: number): Date | undefined {
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return undefined;
  return dt;
}

const DATE = String.raw`(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?`;
const PERIOD_LABEL = String.raw`(?:有效期限|有效期至|有效期|营业期限|经营期限|租赁期限|合同期限|期限|有效日期)`;
const UNTIL = String.raw`\s*(?:至|到|止|-|—|–|~|～)\s*`;

export interface Validity {
  /** The text the period was read from. */
  source: string;
  /** The last valid day; undefined for 长期 (no end). */
  end?: Date;
}

/**
 * Validity periods written on the document: "有效期限 2016.03.01-2036.03.01", "营业期限：2015年1月1日至长期",
 * "有效期至2025年12月31日", "租赁期限自2025年1月1日起至2027年12月31日止".
 */
export function validityPeriods(text: string): Validity[] {
  const t = compact(text);
  const out: Validity[] = [];
  const range = new RegExp(`${PERIOD_LABEL}[:：]?(?:自|从)?${DATE}(?:起)?${UNTIL}(长期|${DATE})`, 'g');
  for (const m of t.matchAll(range)) {
    if (m[4] === '长期') out.push({ source: m[0] });
    else {
      const end = makeDate(+m[5], +m[6], +m[7]);
      if (end) out.push({ source: m[0], end });
    }
  }
  const until = new RegExp(`(?:有效期至|有效期限至|有效至|至)[:：]?(长期|${DATE})`, 'g');
  for (const m of t.matchAll(until)) {
    if (out.some((o) => o.source.includes(m[0]))) continue;
    if (m[1] === '长期') continue;
    const end = makeDate(+m[2], +m[3], +m[4]);
    if (end && /有效/.test(m[0])) out.push({ source: m[0], end });
  }
  return out;
}

/** "2026年11月22日" for a date (UTC). */
export const formatDate = (d: Date) => `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
