import { createUIMessageStream, createUIMessageStreamResponse } from 'ai';
import { Hono } from 'hono';
import { z } from 'zod';
import { AUDIENCES } from '../../ingest/guideSchema.ts';
import { GuardError, redact } from '../answer/guard.ts';
import { AskRequestSchema, FeedbackRequestSchema, type Answer, type AskRequest } from '../answer/schema.ts';
import type { AnswerService } from '../answer/service.ts';
import { ApiError, badRequest, matterNotFound, notFound } from '../errors.ts';
import type { Store } from '../storage/store.ts';
import { UnknownAnswerError } from '../storage/store.ts';
import { readJson } from './json.ts';

/** The body `DefaultChatTransport` sends (AI SDK v5), plus our optional audience and matterId. */
const ChatRequestSchema = z.object({
  id: z.string().max(64).optional(),
  messages: z
    .array(
      z.object({
        id: z.string().optional(),
        role: z.enum(['user', 'assistant', 'system']),
        parts: z.array(z.object({ type: z.string(), text: z.string().optional() }).passthrough()),
      }),
    )
    .min(1, '没有收到消息')
    .max(100, '对话记录过长'),
  trigger: z.string().optional(),
  messageId: z.string().optional(),
  audience: z.enum(AUDIENCES).optional(),
  matterId: z.string().max(64).optional(),
});

const textOf = (parts: { type: string; text?: string }[]) => parts.filter((p) => p.type === 'text').map((p) => p.text ?? '').join('');

/** Pieces of the answer for the stream: whole lines, split further when long, so text arrives progressively. */
export function streamPieces(text: string, size = 24): string[] {
  const out: string[] = [];
  for (const line of text.split(/(?<=\n)/)) {
    const cps = [...line];
    for (let i = 0; i < cps.length; i += size) out.push(cps.slice(i, i + size).join(''));
  }
  return out;
}

async function answerOrError(service: AnswerService, req: AskRequest, channel: string): Promise<Answer> {
  try {
    return await service.ask(req, channel);
  } catch (error) {
    if (error instanceof GuardError) throw badRequest(error.code, error.message);
    throw error;
  }
}

export function answerRoutes(service: AnswerService, store: Store | undefined) {
  const app = new Hono();
  const index = service.pipeline.index;
  const checkMatter = (id?: string) => {
    if (id && !index.guideById.has(id)) throw matterNotFound();
  };

  app.post('/api/ask', async (c) => {
    const req = await readJson(c, AskRequestSchema);
    checkMatter(req.matterId);
    return c.json(await answerOrError(service, req, 'api'));
  });

  app.post('/api/chat', async (c) => {
    const body = await readJson(c, ChatRequestSchema);
    checkMatter(body.matterId);
    const last = body.messages.at(-1)!;
    if (last.role !== 'user') throw badRequest('invalid_body', '最后一条消息应当是用户的问题。');
    const history = body.messages
      .slice(0, -1)
      .filter((m) => m.role !== 'system')
      .map((m) => ({ role: m.role as 'user' | 'assistant', content: textOf(m.parts).slice(0, 4000) }))
      .filter((h) => h.content);
    const conversationId = body.id && /^[A-Za-z0-9_-]{1,64}$/.test(body.id) ? body.id : undefined;
    const answer = await answerOrError(
      service,
      { question: textOf(last.parts), history, audience: body.audience, matterId: body.matterId, conversationId },
      'chat',
    );
    const { answer: text, ...data } = answer;
    const stream = createUIMessageStream({
      execute: ({ writer }) => {
        const id = `t-${answer.answerId}`;
        writer.write({ type: 'text-start', id });
        for (const delta of streamPieces(text)) writer.write({ type: 'text-delta', id, delta });
        writer.write({ type: 'text-end', id });
        for (const cite of answer.citations) {
          writer.write({ type: 'source-url', sourceId: `c${cite.n}`, url: cite.url, title: cite.matterName });
        }
        writer.write({ type: 'data-answer', data });
      },
    });
    return createUIMessageStreamResponse({ stream });
  });

  app.post('/api/feedback', async (c) => {
    const f = await readJson(c, FeedbackRequestSchema);
    if (!store) throw new ApiError(503, 'storage_unavailable', '暂时无法保存评价，请稍后再试。');
    try {
      store.saveFeedback({ answerId: f.answerId, rating: f.rating, commentRedacted: f.comment ? redact(f.comment) : undefined });
    } catch (error) {
      if (error instanceof UnknownAnswerError) throw notFound('answer_not_found', '没有找到这条回答，可能已过期。');
      throw error;
    }
    return c.json({ ok: true });
  });

  return app;
}
