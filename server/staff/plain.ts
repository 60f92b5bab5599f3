import fs from 'node:fs';
import { generateText, type LanguageModel } from 'ai';
import YAML from 'yaml';
import { z } from 'zod';
import { factsOf } from '../answer/llm/checkFacts.ts';

/**
 * "改写成通俗说法": government wording → everyday words. Without a model, a glossary (glossary.yaml, data not
 * code) replaces terms longest first in one left-to-right pass, so a replacement is never replaced again.
 * With a model, the model rewrites, and the rewrite is kept only when it states no fact the original did not
 * and keeps every citation marker; otherwise the glossary version is given.
 */

const GlossarySchema = z.array(z.object({ term: z.string().min(1), plain: z.string().min(1), later: z.string().optional() }));
export type Glossary = z.infer<typeof GlossarySchema>;

export const GLOSSARY: Glossary = GlossarySchema.parse(YAML.parse(fs.readFileSync(new URL('./glossary.yaml', import.meta.url), 'utf8')));

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface PlainResult {
  text: string;
  replaced: { term: string; plain: string }[];
}

/** Replaces glossary terms (longest first, one pass; a term explained once says `later` afterwards). */
export function plainByGlossary(text: string, glossary: Glossary = GLOSSARY): PlainResult {
  const byTerm = new Map(glossary.map((g) => [g.term, g]));
  const terms = [...byTerm.keys()].sort((a, b) => b.length - a.length);
  const re = new RegExp(terms.map(escape).join('|'), 'gu');
  const seen = new Set<string>();
  const replaced: PlainResult['replaced'] = [];
  const out = text.replace(re, (term) => {
    const g = byTerm.get(term)!;
    const first = !seen.has(term);
    seen.add(term);
    if (first) replaced.push({ term, plain: g.plain });
    return first ? g.plain : (g.later ?? g.plain);
  });
  return { text: out, replaced };
}

const PLAIN_PROMPT = `你是上海市徐汇区“一网通办”的窗口服务人员。把下面这段给群众的答复改写成通俗易懂的大白话。
规则：
1. 不得增加、删除或改动任何事实：时限、费用、金额、数字、材料名称、地点、电话都要原样保留。
2. 引用编号（如[1]、[2]）原样保留在对应句子后面。
3. 只输出改写后的文字，不要解释。`;

const squash = (s: string) => s.replace(/\s+/g, '');
const markers = (s: string) => [...s.matchAll(/\[\d{1,3}\]/g)].map((m) => m[0]).sort().join(',');

/** Whether a rewrite keeps to the original: every fact it states stands in the original, markers unchanged. */
export function rewriteHolds(original: string, rewrite: string): boolean {
  if (!rewrite.trim() || markers(original) !== markers(rewrite)) return false;
  const source = squash(original);
  return factsOf(rewrite).every((f) => (f === '〈免费〉' ? /不收费|免费|无需缴费|不收取费用/u.test(source) : source.includes(f)));
}

export async function plainRewrite(
  text: string,
  llm?: { model: LanguageModel; timeoutMs: number },
): Promise<PlainResult & { mode: 'extractive' | 'llm' }> {
  if (llm) {
    try {
      const r = await generateText({
        model: llm.model,
        system: PLAIN_PROMPT,
        prompt: text,
        temperature: 0,
        maxRetries: 0,
        abortSignal: AbortSignal.timeout(llm.timeoutMs),
      });
      const out = r.text.trim();
      if (rewriteHolds(text, out)) return { text: out, replaced: [], mode: 'llm' };
    } catch {
      // Falls through to the glossary: a model failure never costs the clerk the rewrite.
    }
  }
  return { ...plainByGlossary(text), mode: 'extractive' };
}
