import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';

/**
 * Input guardrails of the answer pipeline, in the spirit of GOV.UK Chat: clean and limit the question, find
 * personal data (never logged in clear), strip instruction-injection clauses, and recognise questions that
 * are clearly out of scope, each with a canned reply. Pure functions; the cue lists are data (guard.yaml).
 */

// ---------------------------------------------------------------------------------------------- config

// Phrases are matched against folded text (fold below), so they are folded once, here.
const Phrases = z.array(z.string().min(1).transform((s) => fold(s)));
/** Acronyms keep their case: they are matched as whole words in the original text. */
const Acronyms = z.array(z.string().min(1));
const Reply = z.string().min(1);

const GuardConfig = z.object({
  notice: Reply,
  fillers: Phrases,
  particles: z.string(),
  greeting: z.object({ reply: Reply, cues: Phrases }),
  chitchat: z.object({
    reply: Reply,
    cues: Phrases,
    specific: z.array(z.object({ cues: Phrases, reply: Reply })).default([]),
  }),
  weather: z.object({ reply: Reply, cues: Phrases, unless: Phrases }),
  'other-region': z.object({
    reply: Reply,
    places: Phrases,
    phrases: Phrases,
    shanghai: Phrases,
    transfer: Phrases,
    from: Phrases,
    notBefore: Phrases,
    origin: Phrases,
    to: Phrases,
  }),
  illegal: z.object({ reply: Reply, cues: Phrases, evasion: Phrases, unless: Phrases }),
  offtopic: z.array(z.object({ name: z.string(), reply: Reply, cues: Phrases, unless: Phrases.default([]) })).default([]),
  injection: z.object({
    reply: Reply,
    phrases: Phrases,
    acronyms: Acronyms.default([]),
    // Longest first: 然后再 is taken as 然后 + 再, not left as 后再.
    leadIns: Phrases.default([]).transform((l) => [...l].sort((a, b) => b.length - a.length)),
  }),
});
export type GuardConfig = z.infer<typeof GuardConfig>;

const config: GuardConfig = GuardConfig.parse(YAML.parse(fs.readFileSync(new URL('./guard.yaml', import.meta.url), 'utf8')));

// ---------------------------------------------------------------------------------------------- cleaning

export class GuardError extends Error {
  constructor(
    readonly code: 'question_empty' | 'question_too_long',
    message: string,
  ) {
    super(message);
    this.name = 'GuardError';
  }
}

// C0 and C1 controls except tab/newline/CR (those are whitespace and become a space), DEL, and the invisible
// characters that can hide text from a reader or split a cue word: zero-width, joiners, direction marks,
// line/paragraph separators, bidi embeddings/overrides/isolates, word joiner and invisible operators, BOM,
// soft hyphen, Mongolian vowel separator, Arabic letter mark.
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** The question as the rest of the pipeline sees it: normalised, without hidden characters, one line. */
export function cleanQuestion(raw: string, maxChars = 500): string {
  // Strip first, then NFC: a removed character between a base letter and its combining mark would
  // otherwise leave an uncomposed pair.
  const text = String(raw ?? '')
    .replace(INVISIBLE, '')
    .normalize('NFC')
    .replace(/\s+/gu, ' ')
    .trim();
  if (!text) throw new GuardError('question_empty', '问题不能为空，请输入您想咨询的内容。');
  const length = [...text].length;
  if (length > maxChars) {
    throw new GuardError('question_too_long', `问题太长了（${length}字），请精简到${maxChars}字以内再提问。`);
  }
  return text;
}

/**
 * A same-length form for matching: full-width ASCII (ＡＢＣ１２３＠) → ASCII, ideographic space → space,
 * ASCII upper case → lower case. Same length, so positions found in it hold in the original.
 */
function fold(s: string): string {
  return s
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .replace(/[A-Z]/g, (c) => c.toLowerCase());
}

const ASCII_WORD = /[a-z0-9]/;

/** Where `p` occurs in `hay` (both folded), from `from` on; an English phrase only as whole words. */
function phraseAt(hay: string, p: string, from = 0): number {
  const wordStart = ASCII_WORD.test(p[0]);
  const wordEnd = ASCII_WORD.test(p[p.length - 1]);
  for (let i = hay.indexOf(p, from); i >= 0; i = hay.indexOf(p, i + 1)) {
    if (wordStart && i > 0 && ASCII_WORD.test(hay[i - 1])) continue;
    if (wordEnd && ASCII_WORD.test(hay[i + p.length] ?? '')) continue;
    return i;
  }
  return -1;
}

const hasAny = (hay: string, phrases: string[]) => phrases.some((p) => phraseAt(hay, p) >= 0);

// ---------------------------------------------------------------------------------------------- personal data

export type PersonalKind = 'id-card' | 'mobile' | 'landline' | 'bank-card' | 'email';
export interface PersonalDatum {
  kind: PersonalKind;
  /** UTF-16 offsets in the text given: text.slice(start, end) is the datum as written. */
  start: number;
  end: number;
  masked: string;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** A real calendar date between 1900-01-01 and today. */
function plausibleBirth(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return false;
  return year >= 1900 && d.getTime() <= Date.now();
}

/**
 * An 18-character mainland resident ID (GB 11643-1999): region code, a plausible birth date, and the
 * ISO 7064 MOD 11-2 check character; or a 15-digit legacy ID (birth date YYMMDD in the 1900s, no check digit).
 */
export function isValidIdCard(s: string): boolean {
  const id = s.toUpperCase();
  if (/^[1-8]\d{16}[\dX]$/.test(id)) {
    if (!plausibleBirth(+id.slice(6, 10), +id.slice(10, 12), +id.slice(12, 14))) return false;
    const sum = ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(id[i]), 0);
    return ID_CHECK[sum % 11] === id[17];
  }
  if (/^[1-8]\d{14}$/.test(id)) return plausibleBirth(1900 + +id.slice(6, 8), +id.slice(8, 10), +id.slice(10, 12));
  return false;
}

/** The Luhn check of a card number. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const maskMiddle = (s: string) => (s.length <= 7 ? '*'.repeat(s.length) : `${s.slice(0, 3)}${'*'.repeat(s.length - 7)}${s.slice(-4)}`);

interface Finder {
  kind: PersonalKind;
  re: RegExp;
  /** The datum's compact form (digits, or the address) when the match really is one; otherwise null. */
  accept: (m: RegExpExecArray) => string | null;
  mask: (compact: string) => string;
}

const digitsOf = (s: string) => s.replace(/[^\dXx]/g, '').toUpperCase();

// Order = priority when two findings overlap: an e-mail address may hold a phone number; an ID may also pass
// the Luhn check; a card number is never also read as a phone number.
const FINDERS: Finder[] = [
  {
    kind: 'email',
    re: /(?<![a-z0-9._%+-])[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![a-z0-9])/g,
    accept: (m) => m[0],
    mask: (s) => `${s[0]}***${s.slice(s.indexOf('@'))}`,
  },
  {
    // 18 characters, optionally grouped 6-8-4 by single spaces as people copy them from a card.
    kind: 'id-card',
    re: /(?<!\d)[1-8]\d{5} ?\d{8} ?\d{3}[\dx](?![\da-z])/g,
    accept: (m) => {
      const id = digitsOf(m[0]);
      return isValidIdCard(id) ? id : null;
    },
    mask: maskMiddle,
  },
  {
    kind: 'id-card',
    re: /(?<!\d)[1-8]\d{14}(?!\d)/g,
    accept: (m) => (isValidIdCard(m[0]) ? m[0] : null),
    mask: maskMiddle,
  },
  {
    // 16–19 digits, run together or in groups of four.
    kind: 'bank-card',
    re: /(?<!\d)(?:\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?)(?!\d)/g,
    accept: (m) => {
      const d = digitsOf(m[0]);
      return d.length >= 16 && d.length <= 19 && luhnValid(d) ? d : null;
    },
    mask: maskMiddle,
  },
  {
    // 11 digits from 13x–19x, optionally +86 / 0086 / 86 / (+86) in front and 3-4-4 groups.
    kind: 'mobile',
    re: /(?<![\d+])(?:(?:\+|00)?86[ -]?|\(\+?86\) ?)?(1[3-9]\d[ -]?\d{4}[ -]?\d{4})(?!\d)/g,
    accept: (m) => digitsOf(m[1]),
    mask: maskMiddle,
  },
  {
    // 0 + 2–3 digit area code, 7–8 digit local number; 12345 (no area code) is never one.
    kind: 'landline',
    re: /(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[ -]?\d{3,4}[ -]?\d{4}(?!\d)/g,
    accept: (m) => digitsOf(m[0]),
    mask: maskMiddle,
  },
];

/** ID numbers, phone numbers, bank cards and e-mail addresses in a text, in reading order. */
export function detectPersonalData(text: string): PersonalDatum[] {
  const hay = fold(text);
  const found: PersonalDatum[] = [];
  const overlaps = (s: number, e: number) => found.some((f) => s < f.end && f.start < e);
  for (const f of FINDERS) {
    for (const m of hay.matchAll(f.re)) {
      const start = m.index;
      const end = start + m[0].length;
      const compact = f.accept(m as RegExpExecArray);
      if (compact === null || overlaps(start, end)) continue;
      found.push({ kind: f.kind, start, end, masked: f.mask(compact) });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

const PLACEHOLDER: Record<PersonalKind, string> = {
  'id-card': '【身份证号】',
  mobile: '【手机号】',
  landline: '【电话】',
  'bank-card': '【银行卡号】',
  email: '【邮箱】',
};

/** The text with each personal datum replaced by a placeholder: the only form that may be logged or stored. */
export function redact(text: string): string {
  let out = text;
  for (const d of detectPersonalData(text).reverse()) out = out.slice(0, d.start) + PLACEHOLDER[d.kind] + out.slice(d.end);
  return out;
}

// ---------------------------------------------------------------------------------------------- injection

// Sentence punctuation ends a clause; a full stop only when it is not inside a word, a number or an address.
const CLAUSE_END = /[，。！？；,!?;\n]|\.(?![a-z0-9])/gi;

function clauses(text: string): string[] {
  const out: string[] = [];
  let last = 0;
  for (const m of text.matchAll(CLAUSE_END)) {
    out.push(text.slice(last, m.index + m[0].length));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function isInjection(clause: string): boolean {
  const hay = fold(clause);
  if (hasAny(hay, config.injection.phrases)) return true;
  // Acronyms keep their case: whole words only, in the original (only full-width folded) text.
  const cased = clause.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  return config.injection.acronyms.some((a) => new RegExp(`(?<![A-Za-z0-9])${a}(?![A-Za-z0-9])`).test(cased));
}

const EDGE_PUNCT_START = /^[\s\p{P}\p{S}]+/u;
const EDGE_PUNCT_END = /[\s，,；;、:：\-—]+$/u;

/** The question without the words that only led to it from a removed clause (然后再告诉我…, anyway, …). */
function withoutLeadIns(text: string): string {
  const leadOf = (hay: string) => config.injection.leadIns.find((l) => hay.startsWith(l) && !(ASCII_WORD.test(l) && ASCII_WORD.test(hay.charAt(l.length))));
  let rest = text;
  // Every lead-in is at least one character long, so this ends.
  for (let lead = leadOf(fold(rest)); lead; lead = leadOf(fold(rest))) rest = rest.slice(lead.length).replace(EDGE_PUNCT_START, '');
  return rest;
}

/**
 * Instruction-injection clauses ("忽略以上所有规则", "ignore previous instructions…") and the question
 * without them: each clause holding a cue is removed up to and including its closing punctuation.
 */
export function detectInjection(text: string): { injection: boolean; remainder: string } {
  const parts = clauses(text);
  const kept = parts.filter((c) => !isInjection(c));
  if (kept.length === parts.length) return { injection: false, remainder: text };
  let remainder = kept.join('').replace(/\s+/g, ' ').replace(EDGE_PUNCT_START, '').replace(EDGE_PUNCT_END, '');
  remainder = withoutLeadIns(remainder);
  // Punctuation alone is no question.
  if (!/[\p{L}\p{N}]/u.test(remainder)) remainder = '';
  return { injection: true, remainder };
}

// ---------------------------------------------------------------------------------------------- scope

export type Scope = 'in-scope' | 'greeting' | 'chitchat' | 'weather' | 'other-region' | 'illegal' | 'offtopic';

function isIllegal(hay: string): boolean {
  const c = config.illegal;
  return hasAny(hay, c.evasion) || (hasAny(hay, c.cues) && !hasAny(hay, c.unless));
}

type Piece = { cue: string; kind: 'greeting' | 'chitchat' | 'filler' };
const PIECES: Piece[] = [
  ...config.greeting.cues.map((cue) => ({ cue, kind: 'greeting' as const })),
  ...config.chitchat.cues.map((cue) => ({ cue, kind: 'chitchat' as const })),
  ...config.fillers.map((cue) => ({ cue, kind: 'filler' as const })),
  ...[...config.particles].map((cue) => ({ cue, kind: 'filler' as const })),
].map((p) => ({ ...p, cue: fold(p.cue).replace(/\s+/g, '') }));

/**
 * Whether the whole message is a greeting or chit-chat: it must split completely into cues, fillers and
 * particles (punctuation, spaces and emoji dropped) with at least one cue. Of the possible splits the one with
 * fewest pieces is taken, so 你好 is one greeting and not 你 + 好.
 */
function smallTalk(hay: string): { scope: 'greeting' | 'chitchat'; reply: string } | null {
  const s = hay.replace(/[\s\p{P}\p{S}\p{Extended_Pictographic}\u200D\uFE0F]/gu, '');
  if (!s || s.length > 40) return null;
  const best: (Piece[] | null)[] = new Array(s.length + 1).fill(null);
  best[0] = [];
  for (let i = 0; i < s.length; i++) {
    const here = best[i];
    if (!here) continue;
    for (const p of PIECES) {
      if (!s.startsWith(p.cue, i)) continue;
      const j = i + p.cue.length;
      if (!best[j] || best[j]!.length > here.length + 1) best[j] = [...here, p];
    }
  }
  const split = best[s.length];
  if (!split) return null;
  const chit = split.filter((p) => p.kind === 'chitchat').map((p) => p.cue);
  if (chit.length) {
    const group = config.chitchat.specific.find((g) => chit.every((c) => g.cues.some((x) => fold(x).replace(/\s+/g, '') === c)));
    return { scope: 'chitchat', reply: group?.reply ?? config.chitchat.reply };
  }
  if (split.some((p) => p.kind === 'greeting')) return { scope: 'greeting', reply: config.greeting.reply };
  return null;
}

function isWeather(hay: string): boolean {
  return hasAny(hay, config.weather.cues) && !hasAny(hay, config.weather.unless);
}

function isOtherRegion(hay: string): boolean {
  const r = config['other-region'];
  if (hasAny(hay, r.shanghai)) return false;
  const places = new Set<string>();
  let moving = false;
  for (const place of r.places) {
    for (let i = phraseAt(hay, place); i >= 0; i = phraseAt(hay, place, i + 1)) {
      const before = hay.slice(0, i);
      const after = hay.slice(i + place.length);
      if (r.notBefore.some((w) => after.startsWith(w))) continue;
      if (r.origin.some((w) => after.startsWith(w)) && !r.to.some((w) => before.endsWith(w))) continue;
      places.add(place);
      // 从北京… / 去海南长住: going between that place and here, like 迁 or 转.
      if (r.from.some((w) => before.endsWith(w)) || r.to.some((w) => before.endsWith(w))) moving = true;
    }
  }
  if (hasAny(hay, r.phrases)) places.add('外地');
  if (places.size === 0) return false;
  // A move between one other place and here is Shanghai's business (户口迁入, 社保转入, 迁往外省市).
  const move = moving || hasAny(hay, r.transfer);
  return !(move && places.size === 1);
}

const REPLY: Record<Exclude<Scope, 'in-scope'>, string> = {
  greeting: config.greeting.reply,
  chitchat: config.chitchat.reply,
  weather: config.weather.reply,
  'other-region': config['other-region'].reply,
  illegal: config.illegal.reply,
  offtopic: config.chitchat.reply,
};

/** Opinions, recommendations, investments, medical or legal advice, other people's data…: not a guide's business. */
function offTopic(hay: string): string | undefined {
  return config.offtopic.find((g) => hasAny(hay, g.cues) && !hasAny(hay, g.unless))?.reply;
}

/**
 * The pattern layer of scope: clearly out-of-scope messages and their canned replies. Illegal wins over
 * everything; greetings and chit-chat only when the message is nothing else. The pipeline also refuses when
 * retrieval finds no guide that covers the question.
 */
export function classifyScope(text: string): { scope: Scope; reply?: string } {
  const hay = fold(text);
  if (isIllegal(hay)) return { scope: 'illegal', reply: REPLY.illegal };
  const talk = smallTalk(hay);
  if (talk) return talk;
  const off = offTopic(hay);
  if (off) return { scope: 'offtopic', reply: off };
  if (isWeather(hay)) return { scope: 'weather', reply: REPLY.weather };
  if (isOtherRegion(hay)) return { scope: 'other-region', reply: REPLY['other-region'] };
  return { scope: 'in-scope' };
}

// ---------------------------------------------------------------------------------------------- together

export interface GuardResult {
  /** The cleaned question, as asked (personal data and injection included). */
  text: string;
  /** `text` with personal data replaced by placeholders: what may be logged or stored. */
  redacted: string;
  personalData: { kind: PersonalKind; masked: string }[];
  injection: boolean;
  /** What retrieval should see: `text` without the injection clauses (personal data left as is). */
  question: string;
  /** `injection` when the message was nothing but an injection attempt. */
  scope: Scope | 'injection';
  /** The canned reply when the message is out of scope or nothing but an injection attempt. */
  reply?: string;
  /** Set when personal data was found: asks the citizen not to share it here. */
  notice?: string;
}

export const INJECTION_REPLY = config.injection.reply;
export const PERSONAL_DATA_NOTICE = config.notice;

/** All input guardrails in order; throws GuardError when the question is empty or too long. */
export function guardQuestion(raw: string, opts: { maxChars?: number } = {}): GuardResult {
  const text = cleanQuestion(raw, opts.maxChars ?? 500);
  const found = detectPersonalData(text);
  const { injection, remainder } = detectInjection(text);
  const result: GuardResult = {
    text,
    redacted: redact(text),
    personalData: found.map(({ kind, masked }) => ({ kind, masked })),
    injection,
    question: remainder,
    scope: 'in-scope',
  };
  if (found.length) result.notice = config.notice;
  // Illegal is judged on the whole message: an injected clause cannot hide it, and it wins over injection.
  if (isIllegal(fold(text))) return { ...result, scope: 'illegal', reply: REPLY.illegal };
  if (injection && !remainder) return { ...result, scope: 'injection', reply: config.injection.reply };
  const { scope, reply } = classifyScope(remainder);
  return reply ? { ...result, scope, reply } : { ...result, scope };
}
