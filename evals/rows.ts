import fs from 'node:fs';
import { z } from 'zod';

/** An evaluation question (CONTRACTS.md "Evaluation rows"). */
export const QuestionRow = z.object({
  id: z.string().min(1),
  split: z.enum(['colloquial', 'field', 'variant', 'followup', 'oos', 'injection']),
  question: z.string().min(1),
  history: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string() })).optional(),
  gold: z.array(z.string()),
  expect: z.enum(['answer', 'clarify', 'refuse']),
  field: z.string().optional(),
  facts: z.array(z.string().max(30)).optional(),
  audience: z.enum(['个人', '法人']).optional(),
});
export type QuestionRow = z.infer<typeof QuestionRow>;

/** Reads a JSONL dataset; any bad row fails loudly with its line number (a broken eval must not pass). */
export function readRows(file: string): QuestionRow[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line, i) => [line, i + 1] as const)
    .filter(([line]) => line.trim())
    .map(([line, n]) => {
      const parsed = QuestionRow.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${file}:${n}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return parsed.data;
    });
}
