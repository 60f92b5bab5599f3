import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { GuideSchema, domainOf, type Guide } from './guideSchema.ts';
import { problemsOf, type KnowledgeProblem } from './loadKnowledge.ts';
import { writeAtomic } from './writeAtomic.ts';

/** Where a guide lives in a knowledge folder. */
export function guidePath(knowledgeDir: string, id: string): string {
  return path.join(knowledgeDir, 'matters', domainOf(id), `${id}.yaml`);
}

/** YAML a clerk can read and review in a diff: fields in schema order, no line folding. */
export function guideToYaml(guide: Guide): string {
  return YAML.stringify(guide, { lineWidth: 0, minContentWidth: 0 });
}

export interface ImportResult {
  written: string[];
  unchanged: string[];
  problems: KnowledgeProblem[];
}

/**
 * Imports guides from the JSONL export format (one guide per line) into knowledge/matters/<domain>/<id>.yaml.
 * Each line is validated on its own: a bad line is reported and the others still import. Files are written
 * atomically (temp file + rename), so an interrupted import never leaves a half-written guide.
 */
export function importGuidesJsonl(jsonl: string, sourceName: string, knowledgeDir: string): ImportResult {
  const result: ImportResult = { written: [], unchanged: [], problems: [] };
  const seen = new Set<string>();
  jsonl.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${sourceName}:${i + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      result.problems.push({ file: where, field: '(行)', reason: `不是合法的 JSON：${(error as Error).message}` });
      return;
    }
    const parsed = GuideSchema.safeParse(raw);
    if (!parsed.success) {
      result.problems.push(...problemsOf(where, parsed.error));
      return;
    }
    const guide = parsed.data;
    if (seen.has(guide.id)) {
      result.problems.push({ file: where, field: 'id', reason: `id「${guide.id}」在本文件中重复` });
      return;
    }
    seen.add(guide.id);
    const target = guidePath(knowledgeDir, guide.id);
    const yaml = guideToYaml(guide);
    if (fs.existsSync(target) && fs.readFileSync(target, 'utf8') === yaml) {
      result.unchanged.push(guide.id);
      return;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    writeAtomic(target, yaml);
    result.written.push(guide.id);
  });
  return result;
}
