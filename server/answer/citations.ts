import type { Guide } from '../../ingest/guideSchema.ts';
import { guideSections, type Section } from '../../ingest/sections.ts';
import type { Citation } from './schema.ts';

export const MAX_QUOTE = 120;

/** Link target of a guide section: the guide page has an element with that id. */
export function sectionUrl(matterId: string, section: string): string {
  return `/matters/${encodeURIComponent(matterId)}#${section}`;
}

/** The quote for a value: the value itself, cut to 120 code points (a prefix is still an exact substring). */
export function quoteOf(value: string): string {
  const cps = [...value];
  return cps.length <= MAX_QUOTE ? value : cps.slice(0, MAX_QUOTE).join('');
}

/**
 * Collects the citations of one answer, numbered in order of first use; the same section and quote get the
 * same number. A quote that is not in the section is a programming error and throws.
 */
export class CitationList {
  readonly items: Citation[] = [];
  private readonly sections = new Map<string, Map<string, Section>>();

  private sectionsOf(guide: Guide): Map<string, Section> {
    let m = this.sections.get(guide.id);
    if (!m) this.sections.set(guide.id, (m = new Map(guideSections(guide).map((s) => [s.id, s]))));
    return m;
  }

  /** Cites `value` (one of the section's own values, or a substring of one) and returns the marker "[n]". */
  cite(guide: Guide, sectionId: string, value: string): string {
    const section = this.sectionsOf(guide).get(sectionId);
    if (!section) throw new Error(`no section ${sectionId} in ${guide.id}`);
    const quote = quoteOf(value);
    if (!section.values.some((v) => v.includes(quote))) throw new Error(`quote is not in ${guide.id}#${sectionId}`);
    let c = this.items.find((x) => x.matterId === guide.id && x.section === sectionId && x.quote === quote);
    if (!c) {
      c = { n: this.items.length + 1, matterId: guide.id, matterName: guide.name, section: sectionId, quote, url: sectionUrl(guide.id, sectionId) };
      this.items.push(c);
    }
    return `[${c.n}]`;
  }
}

/** Whether a citation's quote really stands in its section (the check every answer passes before it leaves). */
export function citationHolds(c: Citation, guide: Guide): boolean {
  if (c.matterId !== guide.id || [...c.quote].length > MAX_QUOTE || !c.quote) return false;
  const s = guideSections(guide).find((x) => x.id === c.section);
  return !!s && s.values.some((v) => v.includes(c.quote));
}
