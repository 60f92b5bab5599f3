import type { Material } from '../../ingest/guideSchema.ts';
import { isValidIdCard } from '../answer/guard.ts';
import type { DocProfile } from './match.ts';
import { compact, fieldValues, formatDate, linesOf, personName, validityPeriods } from './text.ts';

/** A defect found in a document, with what to do about it (Chinese, for the citizen). */
export interface Problem {
  code: 'expired' | 'id-checksum' | 'uscc-checksum' | 'name-mismatch' | 'unsigned' | 'copy-not-original';
  message: string;
  advice: string;
}

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The GB 32100-2015 check character of an 18-character unified social credit code. */
export function isValidUscc(code: string): boolean {
  const c = code.toUpperCase();
  if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(c)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARS.indexOf(c[i]) * USCC_WEIGHTS[i];
  const check = (31 - (sum % 31)) % 31;
  return USCC_CHARS[check] === c[17];
}

/** An 18-character resident ID's shape: region, a birth date 19xx/20xx, sequence, check character. */
const ID_SHAPE = /(?<![0-9A-Za-z])([1-8]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx])(?![0-9A-Za-z])/g;
const ID_LABELLED = /(?:公民身份号码|身份证号码|身份证号|身份证件号码|证件号码|身份号码)[:：]?([0-9Xx]{15,18})(?![0-9A-Za-z])/g;

/** The lines of a text with the spaces inside each line removed (numbers are not joined across lines). */
const compactLines = (text: string) => linesOf(text).map(compact);

/**
 * ID numbers written on a document: after an ID label, or any 18-character number shaped like one (region,
 * a real-looking birth date): in tables and on the card itself the label is often on another line.
 */
export function idNumbers(text: string): string[] {
  const out = new Set<string>();
  for (const line of compactLines(text)) {
    for (const m of line.matchAll(ID_LABELLED)) out.add(m[1].toUpperCase());
    for (const m of line.matchAll(ID_SHAPE)) out.add(m[1].toUpperCase());
  }
  return [...out];
}

const USCC_SHAPE = /(?<![0-9A-Z])([0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10})(?![0-9A-Z])/g;

/**
 * Unified social credit codes: after their label, or — on a document that prints the label (a licence puts it
 * above the code) — any 18-character code of that shape that is not a resident ID number.
 */
export function usccCodes(text: string): string[] {
  const out = new Set<string>();
  const lines = compactLines(text.toUpperCase());
  // Table cells break the label over lines ("统一社会信用\n代码 9131…"): look for it in the whole text.
  const labelled = compact(text).includes('统一社会信用代码');
  for (const line of lines) {
    for (const m of line.matchAll(/统一社会信用代码[:：]?([0-9A-Z]{18})(?![0-9A-Z])/g)) out.add(m[1]);
    if (!labelled) continue;
    for (const m of line.matchAll(USCC_SHAPE)) {
      ID_SHAPE.lastIndex = 0;
      if (!ID_SHAPE.test(m[1])) out.add(m[1]);
    }
  }
  return [...out];
}

/** Parties named on an application form: the applicant (a person or an organisation) and its representative. */
export interface Parties {
  person?: string;
  organisation?: string;
}

const ORG = /公司|有限|中心|商行|店|厂|社|所|部|馆|院|校|协会|合作/;

/** Who applies, read from an application form's fields. */
export function applicantOf(text: string): Parties {
  const p: Parties = {};
  for (const label of ['申请人名称', '申请单位', '申请人', '经营者名称', '单位名称', '企业名称']) {
    for (const v of fieldValues(text, label, { separated: true })) {
      const clean = v.replace(/[_＿\s]+/g, '');
      if (!clean) continue;
      if (ORG.test(clean) && clean.length >= 5) p.organisation ??= clean.match(/^[\p{Script=Han}（）()A-Za-z0-9]+/u)?.[0];
      else p.person ??= personName(clean);
    }
  }
  for (const label of ['姓名', '法定代表人', '负责人', '经营者']) {
    if (p.person) break;
    for (const v of fieldValues(text, label, { separated: true })) {
      const n = personName(v);
      if (n) {
        p.person = n;
        break;
      }
    }
  }
  return p;
}

/** The holder's name on an ID-like document (姓名 field). */
export function holderName(text: string): string | undefined {
  for (const v of fieldValues(text, '姓名')) {
    const n = personName(v);
    if (n) return n;
  }
  return undefined;
}

/** A signature or seal field: "签字：…", "申请人（签字）：…", or a bracketed marker at the end ("某某公司（盖章）"). */
const SIGN_FIELD = /(签字|签名|签章|盖章|签署)\s*[)）]?\s*[:：](.*)$/;
const SIGN_AT_END = /[（(](签字|签名|签章|盖章)[)）]\s*$/;
/** What may stand in an empty signature field: blanks, underscores, date placeholders. */
const PLACEHOLDER = /[_＿\s.:：\-—/（）()年月日0-9〇○]/g;
/** Fields for someone who may not exist (no agent, no co-owner): never required to be filled. */
const OPTIONAL_SIGNER = /代理人|受托人|经办人|代办人|见证人|共有人/;

/** A field's value: up to the next label on the line ("签字：张伟 日期：…" → 张伟), without placeholders. */
function fieldValue(rest: string): string {
  const cut = rest.split(/日期|时间|[\p{Script=Han}]{1,6}[:：]/u)[0];
  return cut.replace(PLACEHOLDER, '');
}

/**
 * Text lines with the characters of a seal (rendered one per line around its circle) put back together:
 * a run of one-character lines is appended to the line before it.
 */
function joinSealRuns(text: string): string[] {
  const out: string[] = [];
  for (const line of linesOf(text)) {
    if (line.length === 1 && out.length) out[out.length - 1] += line;
    else out.push(line);
  }
  return out;
}

const hasName = (s: string) => /\p{Script=Han}{2,}/u.test(s);

/** A signing date left blank: "日期： 年 月 日" with no digits before 年. */
const blankDate = (s: string | undefined) => !!s && /年\s*月/.test(s) && !/\d\s*年/.test(s);

/**
 * Whether the document shows a signature or seal field left empty ("申请人（签字）：______", "（盖章）" with no
 * seal after it). A name or seal text on the same line, or on the next short line (a signature under its
 * label), fills a field. Undefined when the document shows no such field (nothing can be said from the text).
 * In OCR'd text a handwritten signature or a red seal is often not read at all, so there a field only counts
 * as empty when the page shows it blank: underscores, or its signing date left blank too.
 */
export function signatureEmpty(text: string, opts: { ocr?: boolean } = {}): boolean | undefined {
  const lines = joinSealRuns(text);
  let fields = 0;
  let empty = 0;
  lines.forEach((line, i) => {
    let value: string | undefined;
    let rest = '';
    const m = line.match(SIGN_FIELD);
    if (m) value = fieldValue((rest = m[2]));
    else if (SIGN_AT_END.test(line)) value = '';
    else return;
    if (OPTIONAL_SIGNER.test(line)) return;
    fields++;
    if (hasName(value)) return;
    const next = lines[i + 1];
    if (next && next.length <= 30 && !SIGN_FIELD.test(next) && !SIGN_AT_END.test(next) && !/[:：]/.test(next) && hasName(next.replace(PLACEHOLDER, ''))) return;
    if (opts.ocr && !/[_＿]{3,}/.test(rest) && !blankDate(line) && !blankDate(next)) return;
    empty++;
  });
  if (!fields) return undefined;
  return empty > 0;
}

/** Everything the checks need to know about the other documents of the request. */
export interface CheckContext {
  today: Date;
  /** The applicant as the application form names it (when one was uploaded and read). */
  applicant: Parties;
}

/** Words in a material name or its requirements that call for a signature or a seal. */
const NEEDS_SIGNATURE = /签字|签名|签章|盖章|签署|公章/;

/**
 * The defects a document shows against the material it was matched to: expired validity, ID or credit code
 * checksums, a name different from the applicant's, empty signature fields where the guide asks for one, a
 * copy where only an original is accepted.
 */
export function checkDocument(text: string, doc: DocProfile, material: Material, ctx: CheckContext & { ocr?: boolean }): Problem[] {
  const problems: Problem[] = [];
  const kindIds = new Set(doc.kinds.map((k) => k.kind.id));

  for (const v of validityPeriods(text)) {
    if (v.end && v.end.getTime() < ctx.today.getTime()) {
      problems.push({
        code: 'expired',
        message: `文件上的有效期已于${formatDate(v.end)}届满。`,
        advice: '请提供在有效期内的文件（如已换发新证，请上传新证）。',
      });
      break;
    }
  }

  const badId = idNumbers(text).find((n) => n.length === 18 && !isValidIdCard(n));
  if (badId) {
    problems.push({
      code: 'id-checksum',
      message: '文件上的身份证号码校验不通过，可能填写或识别有误。',
      advice: '请核对身份证号码是否正确；如是照片，请重新拍摄清晰完整的照片。',
    });
  }

  if (usccCodes(text).some((c) => !isValidUscc(c))) {
    problems.push({
      code: 'uscc-checksum',
      message: '文件上的统一社会信用代码校验不通过，可能填写或识别有误。',
      advice: '请对照营业执照核对18位统一社会信用代码。',
    });
  }

  const mismatch = nameMismatch(text, kindIds, material, ctx.applicant);
  if (mismatch) problems.push(mismatch);

  if (NEEDS_SIGNATURE.test(material.requirements) || NEEDS_SIGNATURE.test(material.name)) {
    if (signatureEmpty(text, { ocr: ctx.ocr }) === true) {
      problems.push({
        code: 'unsigned',
        message: '文件上的签字（盖章）处是空白的。',
        advice: `按要求签字或盖章后重新上传：${material.requirements || material.name}。`,
      });
    }
  }

  if (material.form === '原件' && /^(复印件|此复印件与原件一致|与原件核对一致)/m.test(text)) {
    problems.push({
      code: 'copy-not-original',
      message: '上传的是复印件，这项材料要求提交原件。',
      advice: '请上传原件的照片或扫描件，并在办理时携带原件。',
    });
  }
  return problems;
}

/**
 * A document naming someone other than the applicant: an ID card whose holder is not the applicant (unless the
 * material is someone else's ID), a business licence or lease for another organisation.
 */
function nameMismatch(text: string, kinds: Set<string>, material: Material, applicant: Parties): Problem | undefined {
  const other = /代理人|受托人|代办人|经办人|监护人|委托|家庭成员|配偶|子女|父母|双方|买卖|股东|继承|抵押|查询人|当事人|新任|原法定|出租/.test(material.name);
  if (other) return undefined;
  if (kinds.has('id-card') && applicant.person) {
    const holder = holderName(text);
    if (holder && holder !== applicant.person) {
      return {
        code: 'name-mismatch',
        message: `证件上的姓名（${holder}）与申请表上的申请人（${applicant.person}）不一致。`,
        advice: '请上传申请人本人的证件；如由他人代办，请同时提供授权委托书和代理人身份证件。',
      };
    }
  }
  if (kinds.has('business-licence') && applicant.organisation) {
    const name = fieldValues(text, '名称').map((v) => v.replace(/\s+/g, '')).find((v) => ORG.test(v));
    if (name && name !== applicant.organisation) {
      return {
        code: 'name-mismatch',
        message: `营业执照上的名称（${name}）与申请表上的申请人（${applicant.organisation}）不一致。`,
        advice: '请上传申请单位本身的营业执照，或核对申请表上的单位名称。',
      };
    }
  }
  return undefined;
}
