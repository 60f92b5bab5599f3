/**
 * The check an LLM answer must pass before it leaves: every fact it states (times, fees and amounts, numbers
 * with units, names of documents and materials) must stand in the sources that the same sentence cites. A
 * sentence with a fact and no citation fails, and so does an answer with no citation at all.
 */

export interface FactCheck {
  ok: boolean;
  /** Why not, for logs and tests (no citizen text in it). */
  problems: string[];
}

const TIME = /(\d+(?:\.\d+)?|[一二三四五六七八九十百两半]+)\s*(?:个)?(?:工作日|自然日|日|天|小时|个月|月|年|周)/gu;
const MONEY = /(\d+(?:\.\d+)?)\s*(?:元|万元|块)/gu;
const NUMBER_UNIT = /(\d+(?:\.\d+)?)\s*(?:%|％|平方米|平米|岁|周岁|份|次|人|户)/gu;
const QUOTED = /[《“]([^》”]{2,40})[》”]/gu;
const FREE = /不收费|免费|无需缴费|不收取费用/u;

/**
 * Splits an answer into sentences, keeping each sentence's citation markers with it: a marker written after
 * the full stop ("…办结。[1]") belongs to the sentence before it.
 */
export function sentences(text: string): string[] {
  return text
    .replace(/([。！？；])((?:\[\d{1,3}\])+)/gu, '$2$1')
    .split(/(?<=[。！？；\n])/u)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function citedNumbers(sentence: string): number[] {
  return [...sentence.matchAll(/\[(\d{1,3})\]/g)].map((m) => Number(m[1]));
}

const squash = (s: string) => s.replace(/\s+/g, '');

/** Facts of a sentence: the exact strings that must be found in its sources. */
export function factsOf(sentence: string, knownNames: Iterable<string> = []): string[] {
  const s = sentence.replace(/\[\d{1,3}\]/g, '');
  const facts: string[] = [];
  for (const re of [TIME, MONEY, NUMBER_UNIT]) for (const m of s.matchAll(re)) facts.push(m[0]);
  for (const m of s.matchAll(QUOTED)) facts.push(m[1]);
  for (const name of knownNames) if (name.length >= 4 && s.includes(name)) facts.push(name);
  if (FREE.test(s)) facts.push('〈免费〉');
  return [...new Set(facts.map(squash))];
}

/**
 * Checks the answer against the numbered sources. `knownNames` are material names of all guides: naming a
 * material that the cited sources do not mention is a fact out of nowhere.
 */
export function checkFacts(answer: string, sources: Map<number, string>, knownNames: Iterable<string> = []): FactCheck {
  const problems: string[] = [];
  const names = [...knownNames];
  let cited = 0;
  for (const sentence of sentences(answer)) {
    const ns = citedNumbers(sentence);
    for (const n of ns) if (!sources.has(n)) problems.push(`cites [${n}], which is not a source`);
    cited += ns.length;
    const facts = factsOf(sentence, names);
    if (!facts.length) continue;
    const text = squash(ns.map((n) => sources.get(n) ?? '').join('\n'));
    if (!ns.length) {
      problems.push(`a fact without a citation: ${facts.join(', ')}`);
      continue;
    }
    for (const f of facts) {
      const found = f === '〈免费〉' ? FREE.test(text) : text.includes(f);
      if (!found) problems.push(`not in the cited sources: ${f}`);
    }
  }
  if (!cited) problems.push('no citation');
  return { ok: problems.length === 0, problems };
}
