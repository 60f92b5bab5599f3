import { generateText, type LanguageModel } from 'ai';
import type { Guide } from '../../../ingest/guideSchema.ts';
import { guideSections, type Section } from '../../../ingest/sections.ts';
import { CitationList } from '../citations.ts';
import type { AnswerField } from '../composeExtractive.ts';
import type { Citation, HistoryItem } from '../schema.ts';
import { checkFacts, sentences } from './checkFacts.ts';
import { SYSTEM_PROMPT, userPrompt, type Source } from './prompts.ts';

export interface LlmOptions {
  model: LanguageModel;
  /** Past this the answer falls back to the extractive one. */
  timeoutMs: number;
}

export type LlmOutcome =
  | { ok: true; answer: string; citations: Citation[]; ms: number }
  | { ok: false; reason: 'error' | 'timeout' | 'rejected'; problems: string[]; ms: number };

/** The sections given to the model: the ones asked about (or a general set), the matched FAQ, the notes. */
export function sourceSections(guide: Guide, fields: AnswerField[], faqSection?: string): Section[] {
  const all = guideSections(guide);
  const wanted = new Set<string>(['overview', ...(fields.length ? fields : ['conditions', 'materials', 'online', 'location', 'time-limit', 'fee'])]);
  if (faqSection) wanted.add(faqSection);
  if (wanted.has('materials')) for (const s of all) if (s.id.startsWith('material-')) wanted.add(s.id);
  wanted.add('notes');
  return all.filter((s) => wanted.has(s.id));
}

/** The value of a section that shares most characters with the sentences citing it: the quote shown. */
function bestValue(section: Section, citingText: string): string {
  let best = section.values[0];
  let bestScore = -1;
  for (const v of section.values) {
    const chars = new Set(v);
    let score = 0;
    for (const ch of new Set(citingText)) if (chars.has(ch)) score++;
    if (score > bestScore) {
      best = v;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Asks the model for an answer from numbered sections of one guide, checks every fact against the sections
 * each sentence cites, and turns the model's [n] into the answer's citations (renumbered in order of use).
 */
export async function composeWithLlm(
  opts: LlmOptions,
  input: { question: string; history?: HistoryItem[]; guide: Guide; fields: AnswerField[]; faqSection?: string; knownNames: Iterable<string> },
): Promise<LlmOutcome> {
  const t0 = performance.now();
  const sections = sourceSections(input.guide, input.fields, input.faqSection);
  const sources: Source[] = sections.map((s, i) => ({ n: i + 1, title: `${input.guide.name}｜${s.title}`, text: s.text }));
  const history = (input.history ?? []).slice(-4).map((h) => ({ role: h.role, content: h.content.slice(0, 1000) }));
  let text: string;
  try {
    const r = await generateText({
      model: opts.model,
      system: SYSTEM_PROMPT,
      messages: [...history, { role: 'user' as const, content: userPrompt(input.question, sources) }],
      temperature: 0,
      maxRetries: 0,
      abortSignal: AbortSignal.timeout(opts.timeoutMs),
    });
    text = r.text.trim();
  } catch (error) {
    const timeout = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError';
    return { ok: false, reason: timeout ? 'timeout' : 'error', problems: [(error as Error).name], ms: performance.now() - t0 };
  }
  const check = checkFacts(text, new Map(sources.map((s) => [s.n, s.text])), input.knownNames);
  if (!check.ok) return { ok: false, reason: 'rejected', problems: check.problems, ms: performance.now() - t0 };

  const { text: answer, citations } = citeSourceMarkers(text, input.guide, sections);
  return { ok: true, answer, citations, ms: performance.now() - t0 };
}

/**
 * Turns the [n] of a checked model text (n = position in `sections`, as numbered in the prompt) into the
 * answer's citations, renumbered by first use; each quote is the section value closest to the citing sentences.
 */
export function citeSourceMarkers(text: string, guide: Guide, sections: Section[]): { text: string; citations: Citation[] } {
  const cites = new CitationList();
  const citing = new Map<number, string>();
  for (const sentence of sentences(text)) {
    for (const m of sentence.matchAll(/\[(\d{1,3})\]/g)) citing.set(Number(m[1]), (citing.get(Number(m[1])) ?? '') + sentence);
  }
  const cited = text.replace(/\[(\d{1,3})\]/g, (_, n: string) => {
    const section = sections[Number(n) - 1];
    return cites.cite(guide, section.id, bestValue(section, citing.get(Number(n)) ?? ''));
  });
  return { text: cited, citations: cites.items };
}
