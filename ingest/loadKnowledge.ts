import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { DocSchema, GuideSchema, describeIssues, type Doc, type Guide } from './guideSchema.ts';

/** A knowledge-base file that could not be used, said so a clerk can fix it. */
export interface KnowledgeProblem {
  file: string;
  field: string;
  reason: string;
}

export interface Knowledge {
  guides: Guide[];
  docs: Doc[];
  /**
   * Everyday phrasings per matter id (`phrasings/*.yaml`): how citizens describe the need ("店不开了要关掉"),
   * searched like the aliases but kept apart from the guides, so an import of the official export keeps them.
   */
  phrasings: Map<string, string[]>;
  problems: KnowledgeProblem[];
  /** Each loaded guide's or document's file, relative to the knowledge folder (for messages). */
  files: Map<string, string>;
}

function listFiles(dir: string, accept: (name: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, accept));
    else if (accept(entry.name)) out.push(full);
  }
  return out.sort();
}

/** A zod error becomes one problem per issue; anything else (unreadable YAML, bad JSON) one for the file. */
export function problemsOf(file: string, error: unknown, wholeFile = '(文件)'): KnowledgeProblem[] {
  if (error instanceof z.ZodError) return describeIssues(error).map((d) => ({ file, ...d }));
  return [{ file, field: wholeFile, reason: error instanceof Error ? error.message : String(error) }];
}

/** `phrasings/*.yaml`: matter id → everyday phrasings; each phrasing is checked on its own. */
const PhrasingFile = z.record(z.string().min(1), z.unknown());
const Phrasing = z.string({ error: '说法应为文字' }).trim().min(2, '说法至少 2 个字').max(40, '说法最多 40 个字');

/** The first Markdown heading, else the file name. */
function markdownTitle(text: string, fallback: string): string {
  const m = /^#{1,6}\s+(.+)$/m.exec(text);
  return m ? m[1].trim() : fallback;
}

/**
 * Loads a knowledge folder (layout in CONTRACTS.md): matters/<domain>/<id>.yaml, docs/*.jsonl, docs/*.md.
 * A bad file is reported and skipped; the rest still load.
 */
export function loadKnowledge(root: string): Knowledge {
  const guides: Guide[] = [];
  const docs: Doc[] = [];
  const problems: KnowledgeProblem[] = [];
  const files = new Map<string, string>();
  const rel = (f: string) => path.relative(root, f) || f;
  const claim = (id: string, file: string): boolean => {
    const prior = files.get(id);
    if (prior) {
      problems.push({ file, field: 'id', reason: `id「${id}」与 ${prior} 重复，已跳过` });
      return false;
    }
    files.set(id, file);
    return true;
  };

  for (const file of listFiles(path.join(root, 'matters'), (n) => /\.ya?ml$/.test(n))) {
    const name = rel(file);
    try {
      const raw = YAML.parse(fs.readFileSync(file, 'utf8'));
      const parsed = GuideSchema.safeParse(raw);
      if (!parsed.success) {
        problems.push(...problemsOf(name, parsed.error));
        continue;
      }
      const expected = path.basename(file).replace(/\.ya?ml$/, '');
      if (parsed.data.id !== expected) {
        problems.push({ file: name, field: 'id', reason: `id「${parsed.data.id}」与文件名「${expected}」不一致` });
        continue;
      }
      if (claim(parsed.data.id, name)) guides.push(parsed.data);
    } catch (error) {
      problems.push(...problemsOf(name, error));
    }
  }

  const docsDir = path.join(root, 'docs');
  for (const file of listFiles(docsDir, (n) => n.endsWith('.jsonl'))) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      const where = `${rel(file)}:${i + 1}`;
      try {
        const parsed = DocSchema.safeParse(JSON.parse(line));
        if (!parsed.success) problems.push(...problemsOf(where, parsed.error));
        else if (claim(parsed.data.id, where)) docs.push(parsed.data);
      } catch (error) {
        problems.push(...problemsOf(where, error));
      }
    });
  }
  for (const file of listFiles(docsDir, (n) => n.endsWith('.md'))) {
    const id = path.basename(file, '.md');
    const text = fs.readFileSync(file, 'utf8');
    const parsed = DocSchema.safeParse({ id, title: markdownTitle(text, id), text });
    if (!parsed.success) problems.push(...problemsOf(rel(file), parsed.error));
    else if (claim(id, rel(file))) docs.push(parsed.data);
  }

  const phrasings = new Map<string, string[]>();
  const known = new Set(guides.map((g) => g.id));
  for (const file of listFiles(path.join(root, 'phrasings'), (n) => /\.ya?ml$/.test(n))) {
    const name = rel(file);
    try {
      const parsed = PhrasingFile.safeParse(YAML.parse(fs.readFileSync(file, 'utf8')) ?? {});
      if (!parsed.success) {
        problems.push(...problemsOf(name, parsed.error));
        continue;
      }
      for (const [id, value] of Object.entries(parsed.data)) {
        if (!known.has(id)) {
          problems.push({ file: name, field: id, reason: `没有 id 为「${id}」的办事指南，这些说法已跳过` });
          continue;
        }
        if (!Array.isArray(value)) {
          problems.push({ file: name, field: id, reason: '应为说法列表（每行“- 说法”），已跳过' });
          continue;
        }
        // A bad phrasing is reported and left out; the matter's other phrasings still count.
        const ok: string[] = [];
        value.forEach((v, i) => {
          const one = Phrasing.safeParse(v);
          if (one.success) ok.push(one.data);
          else problems.push(...problemsOf(name, one.error).map((p) => ({ ...p, field: `${id}.${i}` })));
        });
        phrasings.set(id, [...new Set([...(phrasings.get(id) ?? []), ...ok])]);
      }
    } catch (error) {
      problems.push(...problemsOf(name, error));
    }
  }
  return { guides, docs, phrasings, problems, files };
}
