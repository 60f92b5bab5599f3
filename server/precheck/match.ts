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
  /** The first lines (each cut to TITLE_CHARS), without spaces: where a document's title is. */
  head: string;
  headGrams: Set<string>;
  /** The document's own title, when one of its first lines names a kind of document ("…股东会决议"). */
  title?: string;
  bodyGrams: Set<string>;
  body: string;
  /** Kinds recognised from the title (strong) or from enough cue words (weaker). */
  kinds: { kind: DocumentKind; byTitle: boolean }[];
}

const HEAD_LINES = 3;
const TITLE_CHARS = 30;
/** How names of documents end: 申请书, 登记表, 证明, 合同, 执照, 决议, 凭证, 发票… */
const DOC_NOUN = /(书|表|证|证明|证件|证书|合同|协议|执照|决议|决定|章程|清单|目录|图|图纸|照片|相片|凭证|发票|票据|记录|报告|文件|材料|卡|簿|函|单|正本|副本|回执|意见|方案|通知|批复|许可证|登记证|资格证)$/;

export function profileDocument(text: string): DocProfile {
  const lines = linesOf(text).map(compact).filter((l) => /\p{Script=Han}/u.test(l));
  const headLines = lines.slice(0, HEAD_LINES).map((l) => l.slice(0, TITLE_CHARS));
  const head = headLines.join('');
  const title = headLines.map((l) => l.replace(/[（(][^）)]*[）)]$/, '')).find((l) => l.length >= 3 && l.length <= TITLE_CHARS && DOC_NOUN.test(l));
  const body = compact(text);
  const kinds: DocProfile['kinds'] = [];
  for (const k of DOCUMENT_KINDS) {
    if (k.titles.some((t) => head.includes(t))) kinds.push({ kind: k, byTitle: true });
    else if (k.cues.filter((c) => body.includes(c)).length >= k.need) kinds.push({ kind: k, byTitle: false });
  }
  return { head, headGrams: bigrams(head), title, body, bodyGrams: bigrams(body), kinds };
}

/**
 * The documents a material name asks for: the whole name, and its parts when it lists several documents
 * ("授权委托书及代理人身份证件" → 授权委托书, 代理人身份证件). A part that is not itself a document name
 * ("法定代表人、董事、监事和经理的任职文件" → 法定代表人) is not one: only the whole name counts then.
 */
export function materialParts(name: string): string[] {
  const raw = name.replace(/[《》“”"]/g, '');
  const cleaned = raw.replace(/[（(][^）)]*[）)]/g, '');
  const parts = cleaned
    .split(/及|或者|或|和|以及|、|，|,|\//)
    .map((p) => p.trim())
    .filter((p) => p.length >= 2 && DOC_NOUN.test(p));
  return [...new Set([raw, cleaned, ...parts])];
}

export interface MaterialMatch {
  index: number;
  score: number;
  /** How it matched: its title names the material, its title appears in the material's requirements, its kind, or words in its body. */
  by: 'title' | 'requirements' | 'kind' | 'body';
}

/**
 * How well a document fits each material: the best of (a) the material name (or a document it lists) in the
 * document's title lines, (b) the document's own title named in the material's requirements ("租赁的提交租赁
 * 合同"), (c) a document kind recognised from its title or printed cues that the material name asks for,
 * (d) the material name's words across the body (weak). Scores 0–1; the caller picks.
 */
export function scoreMaterials(doc: DocProfile, materials: Material[]): MaterialMatch[] {
  return materials.map((m, i) => {
    let best: MaterialMatch = { index: i + 1, score: 0, by: 'body' };
    const consider = (score: number, by: MaterialMatch['by']) => {
      if (score > best.score) best = { index: i + 1, score, by };
    };
    for (const part of materialParts(m.name)) {
      if (doc.head.includes(part)) consider(part.length >= 4 ? 1 : 0.85, 'title');
      else consider(containment(bigrams(part), doc.headGrams) * 0.9, 'title');
      consider(containment(bigrams(part), doc.bodyGrams) * 0.55, 'body');
    }
    if (doc.title) {
      // The longest ending of the title (≥ 3 characters) that the material's name or requirements mention.
      for (let start = 0; start + 3 <= doc.title.length; start++) {
        const tail = doc.title.slice(start);
        if (m.name.includes(tail) || m.requirements.includes(tail)) {
          consider(0.8, 'requirements');
          break;
        }
      }
    }
    for (const { kind, byTitle } of doc.kinds) {
      if (kind.materials.some((w) => m.name.includes(w))) consider(byTitle ? 0.9 : 0.75, 'kind');
    }
    return best;
  });
}

/** The least score at which a document is taken to be a material. */
export const MATCH_THRESHOLD = 0.6;

/**
 * Assigns documents to materials: strongest pairs first; a document goes to its best material, and among
 * near-equal materials (within 0.05) to the one with the lower `rank` (the caller ranks required materials
 * before conditional, optional and exempt ones), among those preferring one that has no document yet.
 */
export function assignDocuments(scores: MaterialMatch[][], rank: (index: number) => number = () => 0): (MaterialMatch | undefined)[] {
  const filled = new Set<number>();
  const order = scores
    .map((s, doc) => ({ doc, top: Math.max(0, ...s.map((x) => x.score)) }))
    .sort((a, b) => b.top - a.top);
  const out: (MaterialMatch | undefined)[] = scores.map(() => undefined);
  for (const { doc, top } of order) {
    if (top < MATCH_THRESHOLD) continue;
    const near = scores[doc]
      .filter((s) => s.score >= top - 0.05 && s.score >= MATCH_THRESHOLD)
      .sort((a, b) => rank(a.index) - rank(b.index) || b.score - a.score || a.index - b.index);
    // A second document of a kind goes to an empty material of the same rank (the agent's ID once the
    // applicant's is there, if the agent's situation applies), else stays with the first: a material may
    // have several files (出租人、承租人身份证件).
    const best = rank(near[0].index);
    const pick = near.find((s) => rank(s.index) === best && !filled.has(s.index)) ?? near[0];
    out[doc] = pick;
    filled.add(pick.index);
  }
  return out;
}
