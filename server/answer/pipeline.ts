import crypto from 'node:crypto';
import type { Guide } from '../../ingest/guideSchema.ts';
import { sectionIntents } from '../retrieval/fields.ts';
import type { LoadedIndex } from '../retrieval/loadIndex.ts';
import type { Retrieval, Retriever } from '../retrieval/retrieve.ts';
import { CitationList, citationHolds } from './citations.ts';
import { ANSWER_FIELDS, composeExtractive, DISCLAIMER, type AnswerField } from './composeExtractive.ts';
import { CoverageScorer } from './confidence.ts';
import { guardQuestion } from './guard.ts';
import { composeWithLlm, type LlmOptions } from './llm/composeLlm.ts';
import type { Answer, AskRequest, HistoryItem } from './schema.ts';

/**
 * Answering as a pipeline of small steps (guard → route → retrieve → decide → compose → check), in the spirit
 * of GOV.UK Chat: each step reads and writes one context, records its time, and may end the run with an
 * answer (a refusal, a clarification).
 */

/** A word of a reply helps find the conversation's matter when at most this many matters' names hold it. */
const NAME_WORD_MAX_MATTERS = 12;
/** A keyword query naming more matters than this (办证: 21, 医保: 11) is asked about instead of offered options. */
const KEYWORD_MAX_NAMED = 10;
/** At most this many options when a keyword query names several matters (the best ranked). */
const KEYWORD_OPTIONS = 5;

export const NO_SOURCE_REPLY =
  '抱歉，我在办事指南中没有找到能回答这个问题的内容。您可以换个说法、说明想办理的具体事项，或拨打12345市民服务热线咨询。';
export const ASK_WHICH_MATTER = '请问您想咨询哪个事项？可以这样问：“办居住证要带什么材料”“开奶茶店要办什么证”。';

export interface PipelineOptions {
  maxQuestionChars: number;
  /**
   * Below this BM25 score of the best matter, the guides do not answer the question: refuse. Calibrated on
   * the eval sets (≤ 3 % of in-scope questions refused); `npm run eval` shows the effect of a change. 1350
   * since the everyday phrasings (knowledge/phrasings) raised every score: it keeps the margin the bar had
   * before over the best-scoring out-of-scope question the guard lets through (1100 / 791 then, 1350 / 985
   * now); a bar set that way from either half of those questions (by id parity) refuses all of the other
   * half. ADR 5 has the sweep.
   */
  minLexicalScore: number;
}

export const PIPELINE_DEFAULTS: PipelineOptions = { maxQuestionChars: 500, minLexicalScore: 1350 };

/** What the caller needs besides the answer: what may be stored or logged. */
export interface PipelineResult {
  answer: Answer;
  /** The question with personal data replaced by placeholders: the only form that is stored or logged. */
  redactedQuestion: string;
  personalData: boolean;
  injection: boolean;
  /** Why a configured LLM's answer was not used (the extractive one was given instead). */
  llmFallback?: 'error' | 'timeout' | 'rejected';
}

/** The matter a conversation is about, and the variants it could still mean (when it never said which). */
interface Previous {
  guide: Guide;
  variants: string[];
}

interface Context {
  req: AskRequest;
  question: string;
  redacted: string;
  notice?: string;
  personalData: boolean;
  injection: boolean;
  fields: AnswerField[];
  retrieval?: Retrieval;
  previous?: Previous;
  guide?: Guide;
  faqSection?: string;
  answer?: Omit<Answer, 'answerId' | 'conversationId' | 'timings'>;
  llmFallback?: PipelineResult['llmFallback'];
  timings: Record<string, number>;
}

const round = (ms: number) => Number(ms.toFixed(2));

export class AnswerPipeline {
  readonly coverage: CoverageScorer;
  private readonly byName: Map<string, Guide>;
  /** Material names of all guides: an LLM answer naming one its sources do not hold is rejected. */
  private readonly materialNames: string[];
  /**
   * Words of the guides' names and aliases, with how many matters' names hold each: the rarer ones in a
   * conversation's replies say which matter it is about (特种设备, 居住证), the common ones (登记, 申请) do not.
   */
  private readonly nameWords: Map<string, number>;

  constructor(
    readonly index: LoadedIndex,
    readonly retriever: Retriever,
    readonly opts: PipelineOptions = PIPELINE_DEFAULTS,
    /** A language model composes the answer when configured; the extractive composer is the fallback. */
    readonly llm?: LlmOptions,
  ) {
    this.coverage = new CoverageScorer(index);
    this.byName = new Map(index.guides.map((g) => [g.name, g]));
    this.materialNames = [...new Set(index.guides.flatMap((g) => g.materials.map((m) => m.name)))];
    this.nameWords = new Map();
    for (const g of index.guides) {
      for (const w of new Set(index.tokenizer.tokenize([g.name, ...g.aliases].join('\n')))) this.nameWords.set(w, (this.nameWords.get(w) ?? 0) + 1);
    }
  }

  /** The fields a question asks about, as answer fields (材料 → materials, 多久 → time-limit…). */
  fieldsOf(question: string, guide?: Guide): AnswerField[] {
    const asked = new Set(sectionIntents(question, guide ? [guide.name, ...guide.aliases] : []));
    return ANSWER_FIELDS.filter((f) => asked.has(f));
  }

  /**
   * The matter the conversation was about: named in our previous answer, or the best guide of the newest user
   * message that matches one well enough (AnswerService fills the history from the stored conversation).
   */
  async previousMatter(history: HistoryItem[] | undefined, audience: AskRequest['audience']): Promise<Previous | undefined> {
    const recent = (history ?? []).slice(-6).reverse();
    // Our own answers name their matter (关于「…」): the newest assistant message that names one decides.
    for (const h of recent) {
      if (h.role !== 'assistant') continue;
      const named = this.namedMatter(h.content);
      if (named) return { guide: named, variants: [] };
    }
    // Otherwise the newest user message whose best guide matches it well enough (half the bar of a
    // standalone answer: the conversation already showed it was about something), read together with the
    // reply it got (a clerk's or another assistant's reply names the matter: "可以办理个体工商户设立登记…"). A
    // reply that asks back ("…您是哪一种？") names every variant and decides nothing: it is left out.
    const turns = (history ?? []).slice(-6);
    // Only the reply's three rarest words of matter names count (特种设备, 个体工商户): they say which matter,
    // and keep the lookup about as fast as a question's (a whole reply costs several times more).
    const replyTo = (i: number) => {
      const next = turns[i + 1];
      if (next?.role !== 'assistant' || /[？?]/.test(next.content)) return '';
      return [...new Set(this.index.tokenizer.tokenize(next.content.slice(0, this.opts.maxQuestionChars)))]
        .filter((w) => [...w].length >= 2 && (this.nameWords.get(w) ?? Infinity) <= NAME_WORD_MAX_MATTERS)
        .sort((a, b) => this.nameWords.get(a)! - this.nameWords.get(b)! || b.length - a.length)
        .slice(0, 3)
        .join(' ');
    };
    const users = turns.flatMap((h, i) => (h.role === 'user' ? [{ h, reply: replyTo(i) }] : []));
    for (const { h, reply } of users.reverse().slice(0, 3)) {
      const content = `${h.content.trim()} ${reply.trim()}`.trim().slice(0, this.opts.maxQuestionChars);
      if (!content) continue;
      const g = guardQuestion(content, { maxChars: this.opts.maxQuestionChars });
      if (g.scope !== 'in-scope' || !g.question) continue;
      const r = await this.retriever.retrieve(g.question, { k: 1, audience, sections: false, exactName: false });
      const guide = r.matters[0] && this.index.guideById.get(r.matters[0].matterId);
      // A conversation that began with an ambiguous question is still ambiguous until a variant is named.
      if (guide && r.lexicalTop >= this.opts.minLexicalScore / 2) return { guide, variants: r.variants };
    }
    return undefined;
  }

  /** The matter an assistant message names in 「…」, if it is one of ours. */
  private namedMatter(text: string): Guide | undefined {
    for (const m of text.matchAll(/「([^」]{2,60})」/g)) {
      const g = this.byName.get(m[1]);
      if (g) return g;
    }
    return undefined;
  }

  async ask(req: AskRequest): Promise<PipelineResult> {
    const t0 = performance.now();
    let t = t0;
    const timings: Record<string, number> = {};
    const lap = (step: string) => {
      const now = performance.now();
      timings[step] = round(now - t);
      t = now;
    };

    // guard: clean, personal data, injection, out-of-scope (throws GuardError on empty / too long)
    const g = guardQuestion(req.question, { maxChars: this.opts.maxQuestionChars });
    const ctx: Context = {
      req,
      question: g.question,
      redacted: g.redacted,
      notice: g.notice,
      personalData: g.personalData.length > 0,
      injection: g.injection,
      fields: this.fieldsOf(g.question),
      timings,
    };
    lap('guard');
    // An off-topic cue inside a matter's own name or alias (危险废物管理计划备案 holds 废物) does not make the
    // question off topic.
    if (g.reply && !(g.scope === 'offtopic' && this.coverage.mentionsMatter(g.question))) {
      ctx.answer = { answer: g.reply, citations: [], matters: [], refused: true, mode: 'extractive' };
      return this.finish(ctx, t0);
    }

    // route: a pinned matter (the page the widget sits on, or an option chosen after a clarification) or
    // the matter the conversation was about, for follow-ups such as "那要多久？"
    const pinned = req.matterId ? this.index.guideById.get(req.matterId) : undefined;
    ctx.previous = pinned ? { guide: pinned, variants: [] } : await this.previousMatter(req.history, req.audience);
    lap('route');

    ctx.retrieval = await this.retriever.retrieve(ctx.question, { k: 5, audience: req.audience });
    lap('retrieve');

    this.decide(ctx);
    lap('decide');

    if (!ctx.answer && ctx.guide) {
      const composed = composeExtractive({ guide: ctx.guide, fields: ctx.fields, faqSection: ctx.faqSection, question: ctx.question });
      ctx.answer = {
        answer: composed.answer,
        citations: composed.citations,
        matters: this.mattersOf(ctx),
        refused: false,
        followUps: composed.followUps,
        mode: 'extractive',
      };
      // An instruction-injection attempt never reaches the model: its answer stays extractive.
      if (this.llm && !ctx.injection) {
        const out = await composeWithLlm(this.llm, {
          question: ctx.question,
          history: req.history,
          guide: ctx.guide,
          fields: ctx.fields,
          faqSection: ctx.faqSection,
          knownNames: this.materialNames,
        });
        timings.llm = round(out.ms);
        if (out.ok) ctx.answer = { ...ctx.answer, answer: `${out.answer}\n${DISCLAIMER}`, citations: out.citations, mode: 'llm' };
        else ctx.llmFallback = out.reason;
      }
    }
    lap('compose');

    this.check(ctx);
    lap('check');
    return this.finish(ctx, t0);
  }

  private mattersOf(ctx: Context): Answer['matters'] {
    const list = (ctx.retrieval?.matters ?? []).map((m) => ({ id: m.matterId, name: m.name, score: Number(m.score.toFixed(6)) }));
    if (ctx.guide && list[0]?.id !== ctx.guide.id) {
      return [{ id: ctx.guide.id, name: ctx.guide.name, score: list.find((m) => m.id === ctx.guide!.id)?.score ?? 0 }, ...list.filter((m) => m.id !== ctx.guide!.id)];
    }
    return list;
  }

  /** Which guide answers, or a refusal, or a question back. */
  private decide(ctx: Context): void {
    const r = ctx.retrieval!;
    const top = r.matters[0];
    const covTop = top ? this.coverage.coverage(ctx.question, top.matterId) : null;
    const prev = ctx.previous?.guide;
    if (prev) {
      // Stay on the conversation's (or page's) matter unless the question stands on its own and is clearly
      // about another one: "批下来要几天？" or "那如果是公司呢" continue the conversation.
      const standalone = !!top && covTop !== null && r.lexicalTop >= this.opts.minLexicalScore;
      const covPrev = this.coverage.coverage(ctx.question, prev.id) ?? 0;
      // A short question about a field (收费吗, 第一次办收费吗) asks about the matter already on the table.
      const continues =
        /^(那|那么|那如果|还有|另外|这个|它|他|她|如果)/.test(ctx.question) ||
        (ctx.fields.length > 0 && this.coverage.wordsOf(ctx.question).length <= 1);
      if (!standalone || continues || top!.matterId === prev.id || covPrev >= (covTop ?? 0)) {
        const open = ctx.previous!.variants;
        if (open.length >= 2) {
          const intents = this.retriever.families.questionIntents(ctx.question);
          const fits = open.filter((id) => [...(this.retriever.families.intentsOf.get(id) ?? [])].some((i) => intents.has(i)));
          if (fits.length !== 1) {
            this.clarify(ctx, fits.length > 1 ? fits : open);
            return;
          }
          ctx.guide = this.index.guideById.get(fits[0])!;
          return;
        }
        ctx.guide = prev;
        ctx.fields = this.fieldsOf(ctx.question, prev);
        ctx.faqSection = this.bestSection(ctx, prev.id);
        return;
      }
    }
    if (!top || covTop === null) {
      ctx.answer = { answer: ASK_WHICH_MATTER, citations: [], matters: [], refused: true, mode: 'extractive' };
      return;
    }
    if (r.lexicalTop < this.opts.minLexicalScore) {
      this.keywordQuery(ctx);
      return;
    }
    if (r.variants.length >= 2) {
      this.clarify(ctx, r.variants);
      return;
    }
    ctx.guide = this.index.guideById.get(top.matterId);
    if (ctx.guide) ctx.fields = this.fieldsOf(ctx.question, ctx.guide);
    ctx.faqSection = this.bestSection(ctx, top.matterId);
    if (!ctx.guide) {
      // A knowledge document, not a guide: answering from documents comes with the document composer.
      ctx.answer = { answer: NO_SOURCE_REPLY, citations: [], matters: this.mattersOf(ctx), refused: true, mode: 'extractive' };
    }
  }

  /**
   * A question below the BM25 bar: refused, unless it is a keyword query naming matters (居住证, 低保, 离婚):
   * one such matter is answered, a few are offered to choose from (the best ranked five), and a word too
   * common to name a matter (办证, in 21 names and aliases) is asked about.
   */
  private keywordQuery(ctx: Context): void {
    const named = this.coverage.namedMatters(ctx.question);
    if (named.length > KEYWORD_MAX_NAMED) {
      ctx.answer = { answer: ASK_WHICH_MATTER, citations: [], matters: this.mattersOf(ctx), refused: true, mode: 'extractive' };
      return;
    }
    // Best first (BM25 over just these), and only the matters open to the asker's audience.
    const ids = this.retriever.rankLexically(ctx.question, named, ctx.req.audience);
    if (ids.length === 0) {
      ctx.answer = { answer: NO_SOURCE_REPLY, citations: [], matters: this.mattersOf(ctx), refused: true, mode: 'extractive' };
      return;
    }
    if (ids.length > 1) {
      this.clarify(ctx, ids.slice(0, KEYWORD_OPTIONS));
      return;
    }
    ctx.guide = this.index.guideById.get(ids[0])!;
    ctx.fields = this.fieldsOf(ctx.question, ctx.guide);
    ctx.faqSection = this.bestSection(ctx, ids[0]);
  }

  /** Asks which of the variants is meant, each option cited to its guide. */
  private clarify(ctx: Context, ids: string[]): void {
    const cites = new CitationList();
    const options = ids.map((id) => this.index.guideById.get(id)).filter((g): g is Guide => !!g);
    const lines = options.map((o, i) => `${i + 1}. ${o.name}${cites.cite(o, 'overview', o.name)}`);
    const question = '您想办理的是下面哪一项？';
    const ranked = this.mattersOf(ctx);
    ctx.answer = {
      answer: `${question}\n${lines.join('\n')}\n请选择一项，我再告诉您具体怎么办。`,
      citations: cites.items,
      // The options come first: they are what the answer is about (a follow-up's options come from the
      // conversation, not from this question's retrieval).
      matters: [
        ...options.map((o) => ({ id: o.id, name: o.name, score: ranked.find((m) => m.id === o.id)?.score ?? 0 })),
        ...ranked.filter((m) => !ids.includes(m.id)),
      ],
      refused: false,
      clarify: { question, options: options.map((o) => ({ id: o.id, name: o.name })) },
      mode: 'extractive',
    };
  }

  /**
   * The section retrieval found best for the question in this matter, when it adds to the fields asked
   * about: a FAQ entry is shown first; a field (conditions, result…) is answered too. "要公告多少天" asks
   * about a time, but its answer stands in the conditions.
   */
  private bestSection(ctx: Context, matterId: string): string | undefined {
    const m = ctx.retrieval?.matters.find((x) => x.matterId === matterId);
    const best = m && this.index.chunks[m.chunks[0]];
    if (!best) return undefined;
    if (best.section.startsWith('faq-')) return best.section;
    const field = best.section.startsWith('material-') ? 'materials' : best.section;
    if (ctx.fields.length && (ANSWER_FIELDS as readonly string[]).includes(field) && !ctx.fields.includes(field as AnswerField)) {
      ctx.fields = [...ctx.fields, field as AnswerField];
    }
    return undefined;
  }


  /** No answer leaves without a source: every citation must stand in its section. */
  private check(ctx: Context): void {
    const a = ctx.answer!;
    a.citations = a.citations.filter((c) => {
      const guide = this.index.guideById.get(c.matterId);
      return !!guide && citationHolds(c, guide);
    });
    if (!a.refused && a.citations.length === 0) {
      ctx.answer = { answer: NO_SOURCE_REPLY, citations: [], matters: a.matters, refused: true, mode: a.mode };
    }
  }

  private finish(ctx: Context, t0: number): PipelineResult {
    ctx.timings.total = round(performance.now() - t0);
    const a = ctx.answer!;
    const answer: Answer = {
      answerId: crypto.randomUUID(),
      conversationId: ctx.req.conversationId ?? crypto.randomUUID(),
      ...a,
      answer: ctx.notice ? `${ctx.notice}\n${a.answer}` : a.answer,
      timings: ctx.timings,
      ...(ctx.notice ? { notice: ctx.notice } : {}),
    };
    return {
      answer,
      redactedQuestion: ctx.redacted,
      personalData: ctx.personalData,
      injection: ctx.injection,
      ...(ctx.llmFallback ? { llmFallback: ctx.llmFallback } : {}),
    };
  }
}
