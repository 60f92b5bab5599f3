import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import type { Guide } from '../../ingest/guideSchema.ts';

const VariantsConfig = z.object({
  endings: z.array(z.string()).default([]),
  intents: z.record(z.string(), z.object({ suffix: z.array(z.string()), cues: z.array(z.string()) })),
});
type VariantsConfig = z.infer<typeof VariantsConfig>;

export function loadVariantsConfig(file = new URL('./variants.yaml', import.meta.url)): VariantsConfig {
  return VariantsConfig.parse(YAML.parse(fs.readFileSync(file, 'utf8')));
}

/** Words that mark a variant of a matter: every intent's suffix words and the endings list. */
function variantWords(config: VariantsConfig): string[] {
  return [...new Set([...config.endings, ...Object.values(config.intents).flatMap((i) => i.suffix)])];
}

/**
 * Family bases of the names: the longest common prefix (≥ 4 characters) that two or more names share while
 * the rest of each of them holds a variant word (新办, 变更, 换领, 补发…). 残疾人证新办 / 残疾人证换领 /
 * 残疾人证挂失补办 → 残疾人证; 有限责任公司设立登记 / 有限责任公司变更登记（名称） → 有限责任公司.
 * A name with no such prefix has no family.
 */
export function familyBases(names: string[], words: string[]): Map<string, string> {
  const hasVariantWord = (rest: string) => words.some((w) => rest.includes(w));
  const out = new Map<string, string>();
  for (const name of names) {
    const cps = [...name];
    for (let len = cps.length - 1; len >= 4; len--) {
      const base = cps.slice(0, len).join('');
      if (!hasVariantWord(name.slice(base.length))) continue;
      const members = names.filter((n) => n !== name && n.startsWith(base) && hasVariantWord(n.slice(base.length)));
      if (members.length) {
        out.set(name, base);
        break;
      }
    }
  }
  // Names that chose different bases for one family settle on the shortest shared one.
  for (const [name, base] of out) {
    for (const [other, ob] of out) if (other !== name && ob.length < base.length && name.startsWith(ob) && base.startsWith(ob)) out.set(name, ob);
  }
  return out;
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
    const baseOf = new Map<string, string>();
    const bases = familyBases(guides.map((g) => g.name), variantWords(config));
    for (const g of guides) {
      const b = bases.get(g.name) ?? g.name;
      baseOf.set(g.id, b);
      byBase.set(b, [...(byBase.get(b) ?? []), g.id]);
    }
    for (const [b, ids] of byBase) {
      if (ids.length < 2) continue;
      this.members.set(b, ids);
      for (const id of ids) this.familyOf.set(id, b);
    }
    for (const g of guides) {
      // What the name says beyond the family base: 食品经营许可（注销） → （注销）; 诊所备案 → '' (the base one).
      const rest = g.name.slice(baseOf.get(g.id)!.length);
      const intents = new Set<string>();
      for (const [intent, { suffix: words }] of Object.entries(config.intents)) {
        if (words.some((w) => rest.includes(w))) intents.add(intent);
      }
      if (!intents.size && this.familyOf.has(g.id) && 'new' in config.intents) intents.add('new');
      this.intentsOf.set(g.id, intents);
    }
  }

  /**
   * Intents a question expresses by its cue words (e.g. 搬了 → change); a cue `re:…` is a regular expression.
   * Intents listed later in variants.yaml are read first and their words taken out, so 不打算开了 is a
   * cancellation and not, through 打算开, a new licence.
   */
  questionIntents(question: string): Set<string> {
    const found = new Set<string>();
    let rest = question;
    for (const [intent, cues] of [...this.cues].reverse()) {
      // The first intent (new) is the weakest reading: only when no other one is stated.
      if (intent === this.cues[0][0] && found.size) break;
      for (const c of cues) {
        const hit = typeof c === 'string' ? (rest.includes(c) ? c : null) : c.exec(rest)?.[0];
        if (!hit) continue;
        found.add(intent);
        rest = rest.split(hit).join('　');
      }
    }
    return found;
  }

  private get cues(): [string, (string | RegExp)[]][] {
    this.compiled ??= Object.entries(this.config.intents).map(([intent, { cues }]) => [
      intent,
      cues.map((c) => (c.startsWith('re:') ? new RegExp(c.slice(3), 'u') : c)),
    ]);
    return this.compiled;
  }
  private compiled?: [string, (string | RegExp)[]][];

  /** The other members of a matter's family (empty when it has none). */
  siblings(id: string): string[] {
    const f = this.familyOf.get(id);
    return f ? this.members.get(f)!.filter((x) => x !== id) : [];
  }
}
