import crypto from 'node:crypto';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import type { Doc, Guide } from './guideSchema.ts';
import { guideSections } from './sections.ts';

/** One retrievable piece of one section. Several chunks of a long section share its section id. */
export interface Chunk {
  /** Stable id: `<matterId>#<section>` or `<matterId>#<section>~<k>` for the k-th piece (k ≥ 2). */
  id: string;
  kind: 'guide' | 'doc';
  /** Matter id for a guide; document id for a document. */
  matterId: string;
  /** Matter name, or the document's title. */
  name: string;
  section: string;
  sectionTitle: string;
  /** The section text (or this piece of it), as displayed. */
  text: string;
  /** 个人 / 法人 for guides; empty for documents (they apply to everyone). */
  audience: string[];
  /** Hash of what is embedded, so an unchanged chunk is never embedded twice. */
  hash: string;
}

/** Sections longer than this are split (characters). Guide sections are rarely longer. */
export const MAX_CHUNK_CHARS = 400;

const splitter = new RecursiveCharacterTextSplitter({
  chunkSize: MAX_CHUNK_CHARS,
  chunkOverlap: 40,
  separators: ['\n\n', '\n', '。', '；', '！', '？', '，', ''],
  keepSeparator: true,
});

/** The text that is embedded and indexed: the matter name and section title give each piece its context. */
export function embeddingText(c: Pick<Chunk, 'name' | 'sectionTitle' | 'text'>): string {
  return `${c.name}｜${c.sectionTitle}\n${c.text}`;
}

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 24);

function finish(c: Omit<Chunk, 'hash'>): Chunk {
  return { ...c, hash: sha(embeddingText(c)) };
}

async function pieces(text: string): Promise<string[]> {
  if (text.length <= MAX_CHUNK_CHARS) return [text];
  return (await splitter.splitText(text)).map((p) => p.trim()).filter(Boolean);
}

/** Chunks of a guide, one or more per section (CONTRACTS.md section ids). */
export async function chunkGuide(g: Guide): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for (const s of guideSections(g)) {
    const parts = await pieces(s.text);
    parts.forEach((text, k) =>
      out.push(
        finish({
          id: k === 0 ? `${g.id}#${s.id}` : `${g.id}#${s.id}~${k + 1}`,
          kind: 'guide',
          matterId: g.id,
          name: g.name,
          section: s.id,
          sectionTitle: s.title,
          text,
          audience: g.audience,
        }),
      ),
    );
  }
  return out;
}

/** Chunks of a document: its parts `part-<n>`, in order. */
export async function chunkDoc(d: Doc): Promise<Chunk[]> {
  const parts = await pieces(d.text.trim());
  const name = d.title ?? d.id;
  return parts.map((text, i) =>
    finish({
      id: `${d.id}#part-${i + 1}`,
      kind: 'doc',
      matterId: d.id,
      name,
      section: `part-${i + 1}`,
      sectionTitle: `第${i + 1}部分`,
      text,
      audience: [],
    }),
  );
}
