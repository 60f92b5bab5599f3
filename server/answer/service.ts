import type { Store } from '../storage/store.ts';
import type { AnswerPipeline } from './pipeline.ts';
import type { Answer, AskRequest } from './schema.ts';

/**
 * Answers and remembers: runs the pipeline, then stores the conversation, the answer and an audit entry.
 * Only redacted text is stored; the audit holds ids, flags and timings, never text.
 */
export class AnswerService {
  constructor(
    readonly pipeline: AnswerPipeline,
    readonly store?: Store,
  ) {}

  async ask(req: AskRequest, channel: string): Promise<Answer> {
    // A client that sends only its conversationId still gets follow-ups: the stored history stands in.
    const history = req.history ?? (req.conversationId && this.store ? this.store.recentMessages(req.conversationId, 6) : undefined);
    const result = await this.pipeline.ask({ ...req, history });
    const a = result.answer;
    if (this.store) {
      try {
        this.store.saveExchange({ channel, audience: req.audience }, result.redactedQuestion, {
          answerId: a.answerId,
          conversationId: a.conversationId,
          questionRedacted: result.redactedQuestion,
          answerText: a.answer,
          matters: a.matters.map((m) => m.id),
          citations: a.citations,
          refused: a.refused,
          mode: a.mode,
          timings: a.timings,
        });
        this.store.audit('answer', {
          answerId: a.answerId,
          channel,
          matters: a.matters.slice(0, 3).map((m) => m.id),
          refused: a.refused,
          clarify: !!a.clarify,
          mode: a.mode,
          personalData: result.personalData,
          injection: result.injection,
          llmFallback: result.llmFallback,
          ms: a.timings.total,
        });
      } catch (error) {
        // Storage trouble must not cost the citizen the answer; it is reported without any text.
        console.error(`[storage] answer ${a.answerId} not stored: ${(error as Error).name}`);
      }
    }
    return a;
  }
}
