import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import type { Guide } from '../../ingest/guideSchema.ts';
import { baseName } from '../../ingest/tokenize.ts';

const VariantsConfig = z.object({
  intents: z.record(z.string(), z.object({ suffix: z.array(z.string()), cues: z.array(z.string()) })),
});
type VariantsConfig = z.infer<typeof VariantsConfig>;

export function loadVariantsConfig(file = new URL('./variants.yaml', import.meta.url)): VariantsConfig {
  return VariantsConfig.parse(YAML.parse(fs.readFileSync(file, 'utf8')));
}

/** The variant suffix of a name: 食品经营许可（变更） → 变更; none → ''. */
export function variantSuffix(name: string): string {
  const m = /[（(]([^（）()]*)[）)]\s*$/.exec(name);
  return m ? m[1] : '';
}

/**
 * Families of near-duplicate matters (same name but for the suffix) and the intents (new, change, renew,
 * cancel, reissue) each member stands for.
 */
export class VariantFamilies {
  readonly familyOf = new Map<string, string>();
  readonly members = new Map<string, string[]>();
  readonly intentsOf = new Map<string, Set<string>>();

  constructor(guides: Guide[], private readonly config: VariantsConfig = loadVariantsConfig()) {
    const byBase = new Map<string, string[]>();
    for (const g of guides) {
      const b = baseName(g.name);
      byBase.set(b, [...(byBase.get(b) ?? []), g.id]);
    }
    for (const [b, ids] of byBase) {
      if (ids.length < 2) continue;
      this.members.set(b, ids);
      for (const id of ids) this.familyOf.set(id, b);
    }
    for (const g of guides) {
      const suffix = variantSuffix(g.name);
      const intents = new Set<string>();
      for (const [intent, { suffix: words }] of Object.entries(config.intents)) {
        if (words.some((w) => suffix.includes(w))) intents.add(intent);
      }
      this.intentsOf.set(g.id, intents);
    }
  }

  /** Intents a question expresses by its cue words (e.g. 搬了 → change). */
  questionIntents(question: string): Set<string> {
    const found = new Set<string>();
    for (const [intent, { cues }] of Object.entries(this.config.intents)) {
      if (cues.some((c) => question.includes(c))) found.add(intent);
    }
    return found;
  }

  /** The other members of a matter's family (empty when it has none). */
  siblings(id: string): string[] {
    const f = this.familyOf.get(id);
    return f ? this.members.get(f)!.filter((x) => x !== id) : [];
  }
}
