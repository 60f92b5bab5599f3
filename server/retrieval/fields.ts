import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';

const FieldsConfig = z.object({ sections: z.record(z.string(), z.array(z.string().min(1))) });

/** Section cue words (fields.yaml), read once. */
const config = FieldsConfig.parse(YAML.parse(fs.readFileSync(new URL('./fields.yaml', import.meta.url), 'utf8')));

/**
 * The sections a question asks about, in the order of fields.yaml ("要带什么材料，多久能办好" → materials, time-limit).
 * With `names` (the matter's name and aliases), a cue that is only part of a word of the name does not count:
 * 资格 in "教师资格认定在哪个网站上报", 证书 in "…登记证书…" when the name says so.
 */
export function sectionIntents(question: string, names: string[] = []): string[] {
  const partOfName = (at: number, cue: string) => {
    const before = question.slice(Math.max(0, at - 1), at + cue.length);
    const after = question.slice(at, at + cue.length + 1);
    return names.some((n) => (before.length > cue.length && n.includes(before)) || (after.length > cue.length && n.includes(after)));
  };
  const asks = (cue: string) => {
    for (let i = question.indexOf(cue); i >= 0; i = question.indexOf(cue, i + 1)) if (!partOfName(i, cue)) return true;
    return false;
  };
  return Object.entries(config.sections)
    .filter(([, cues]) => cues.some(asks))
    .map(([id]) => id);
}

/** Whether a section id answers one of the intents (`materials` covers material-<n>). */
export function sectionAnswers(sectionId: string, intents: string[]): boolean {
  return intents.some((i) => sectionId === i || (i === 'materials' && sectionId.startsWith('material-')));
}
