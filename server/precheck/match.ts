import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import type { Material } from '../../ingest/guideSchema.ts';
import { bigrams, compact, containment, linesOf } from './text.ts';

const Kind = z.object({
  id: z.string(),
  label: z.string(),
  titles: z.array(z.string()),
  cues: z.array(z.string()),
  need: z.number().int().min(1).default(2),
  materials: z.array(z.string()),
});
export type DocumentKind = z.infer<typeof Kind>;

/** Document kinds (documentKinds.yaml), read once. */
export const DOCUMENT_KINDS: DocumentKind[] = z
  .object({ kinds: z.array(Kind) })
  .parse(YAML.parse(fs.readFileSync(new URL('./documentKinds.yaml', import.meta.url), 'utf8'))).kinds;

/** What the matcher knows about one uploaded document. */
export interface DocProfile {
  /** The first lines, without spaces: where a document's title is. */
  head: string;
  headGrams: Set<string>;
  bodyGrams: Set<string>;
  body: string;
  /** Kinds recognised from the text (title or enough cue words). */
  kinds: DocumentKind[];
}

const HEAD_LINES = 5;

export function profileDocument(text: string): DocProfile {
  const lines = linesOf(text);
  const head = compact(lines.slice(0, HEAD_LINES).join(''));
  const body = compact(text);
  const kinds = DOCUMENT_KINDS.filter((k) => {
    if (k.titles.some((t) => head.includes(t))) return true;
    return k.cues.filter((c) => body.includes(c)).length >= k.need;
  });
  return { head, headGrams: bigrams(head), body, bodyGrams: bigrams(body), kinds };
}

/**
 * The parts a material name asks for: "授权委托书及代理人身份证件" → 授权委托书, 代理人身份证件;
 * "营业执照正本、副本" → 营业执照正本, 副本 (short leftovers are dropped); brackets removed.
 */
export function materialParts(name: string): string[] {
  const cleaned = name.replace(/[《》“”"]/g, '').replace(/[（(][^）)]*[）)]/g, '');
  const parts = cleaned
    .split(/及|或者|或|和|以及|、|，|,|\//)
    .map((p) => p.trim())
    .filter((p) => p.length >= 2);
  return parts.length ? [cleaned, ...parts] : [cleaned];
}

/** Words in a material name that say it is someone other than the applicant's document. */
const OTHER_PERSON = /代理人|受托人|代办人|经办人|监护人|委托人|家庭成员|配偶|子女|父母|双方|买卖|股东|继承人|被继承|抵押|查询人|当事人|新任|原法定/;

export interface MaterialMatch {
  index: number;
  score: number;
  /** How it matched: the document's title, its kind, or words of the material name in its body. */
  by: 'title' | 'kind' | 'body';
}

/**
 * How well a document fits each material: the best of (a) the material name (or one of its parts) in the
 * document's title lines, (b) a document kind recognised from the content that the material name asks for,
 * (c) the material name's words across the body (weaker). Scores 0–1; the caller picks.
 */
export function scoreMaterials(doc: DocProfile, materials: Material[]): MaterialMatch[] {
  return materials.map((m, i) => {
    let best: MaterialMatch = { index: i + 1, score: 0, by: 'body' };
    const consider = (score: number, by: MaterialMatch['by']) => {
      if (score > best.score) best = { index: i + 1, score, by };
    };
    for (const part of materialParts(m.name)) {
      if (doc.head.includes(part)) consider(part.length >= 4 ? 1 : 0.85, 'title');
      else consider(containment(bigrams(part), doc.headGrams) * 0.95, 'title');
      consider(containment(bigrams(part), doc.bodyGrams) * 0.6, 'body');
    }
    for (const k of doc.kinds) {
      if (k.materials.some((w) => m.name.includes(w))) consider(0.9, 'kind');
    }
    // A material for someone else's document (代理人身份证件) fits a little less than the applicant's own, so
    // the applicant's ID goes to 申请人身份证件 first; a second ID still finds the other material.
    if (OTHER_PERSON.test(m.name) && best.by !== 'title') best = { ...best, score: best.score - 0.05 };
    return best;
  });
}

/** The least score at which a document is taken to be a material. */
export const MATCH_THRESHOLD = 0.6;

/**
 * Assigns documents to materials: strongest pairs first; a document goes to its best material, and among
 * near-equal materials (within 0.05) to one that has no document yet.
 */
export function assignDocuments(scores: MaterialMatch[][]): (MaterialMatch | undefined)[] {
  const filled = new Set<number>();
  const order = scores
    .map((s, doc) => ({ doc, top: Math.max(0, ...s.map((x) => x.score)) }))
    .sort((a, b) => b.top - a.top);
  const out: (MaterialMatch | undefined)[] = scores.map(() => undefined);
  for (const { doc, top } of order) {
    if (top < MATCH_THRESHOLD) continue;
    const near = scores[doc].filter((s) => s.score >= top - 0.05 && s.score >= MATCH_THRESHOLD).sort((a, b) => b.score - a.score || a.index - b.index);
    const pick = near.find((s) => !filled.has(s.index)) ?? near[0];
    out[doc] = pick;
    filled.add(pick.index);
  }
  return out;
}
