import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';

const FieldsConfig = z.object({ sections: z.record(z.string(), z.array(z.string().min(1))) });

/** Section cue words (fields.yaml), read once. */
const config = FieldsConfig.parse(YAML.parse(fs.readFileSync(new URL('./fields.yaml', import.meta.url), 'utf8')));

/** The sections a question asks about, in the order of fields.yaml ("要带什么材料，多久能办好" → materials, time-limit). */
export function sectionIntents(question: string): string[] {
  return Object.entries(config.sections)
    .filter(([, cues]) => cues.some((c) => question.includes(c)))
    .map(([id]) => id);
}

/** Whether a section id answers one of the intents (`materials` covers material-<n>). */
export function sectionAnswers(sectionId: string, intents: string[]): boolean {
  return intents.some((i) => sectionId === i || (i === 'materials' && sectionId.startsWith('material-')));
}
