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

/** Pairs of adjacent Chinese characters of a text (within runs of Chinese characters). */
function pairs(text: string): Set<string> {
  const out = new Set<string>();
  for (const run of text.match(/\p{Script=Han}+/gu) ?? []) {
    const cs = [...run];
    for (let i = 0; i + 1 < cs.length; i++) out.add(cs[i] + cs[i + 1]);
  }
  return out;
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
      // The base one may be a member too (仅销售预包装食品备案 / …备案信息变更, 灵活就业登记 / …登记注销).
      const members = names.filter((n) => n !== name && n.startsWith(base) && (n === base || hasVariantWord(n.slice(base.length))));
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
  /**
   * Families of two: the matter itself and one variant of it (灵活就业登记 / 灵活就业登记注销), by family base.
   * Such a pair never needs a question back: a stated intent picks one, otherwise the better-ranked one answers.
   */
  readonly bareBase = new Map<string, string>();

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
      const bare = guides.find((g) => ids.includes(g.id) && g.name === b);
      if (ids.length === 2 && bare) this.bareBase.set(b, bare.id);
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

  /**
   * The one of `ids` whose name the question echoes beyond the variant words: each name without the part all
   * of them share and without 新办/变更/注销… keeps what sets it apart (（减少注册资本）, （股东及股权转让）,
   * 残疾类别等级); a pair of characters of it in the question that no other name's own part has points to it.
   * Undefined when no name is echoed, or several about as much.
   */
  echoedName(question: string, ids: string[], names: Map<string, string>): string | undefined {
    if (ids.length < 2) return undefined;
    const full = ids.map((id) => names.get(id) ?? '');
    let base = full[0];
    for (const n of full) while (base && !n.startsWith(base)) base = base.slice(0, -1);
    const baseGrams = pairs(base);
    const words = [...this.variantWords].sort((a, b) => b.length - a.length);
    const own = full.map((n) => {
      let rest = n.slice(base.length);
      for (const w of words) rest = rest.split(w).join('|');
      return new Set([...pairs(rest)].filter((p) => !baseGrams.has(p)));
    });
    const asked = pairs(question);
    const echoed = own.map((gs, i) => [...gs].filter((p) => asked.has(p) && own.every((o, j) => j === i || !o.has(p))).length);
    // One name echoed, or one echoed at least twice as much as any other (一次性奖励、企业退休 over 光荣证).
    const order = echoed.map((n, i) => [n, i]).sort((a, b) => b[0] - a[0]);
    const [best, second] = [order[0][0], order[1]?.[0] ?? 0];
    return best > 0 && (second === 0 || (best >= 2 * second && best >= 4)) ? ids[order[0][1]] : undefined;
  }

  private get variantWords(): string[] {
    return variantWords(this.config);
  }

  /** The other members of a matter's family (empty when it has none). */
  siblings(id: string): string[] {
    const f = this.familyOf.get(id);
    return f ? this.members.get(f)!.filter((x) => x !== id) : [];
  }
}
