import { z } from 'zod';
import { AUDIENCES } from '../../ingest/guideSchema.ts';

/** The shapes of /api/ask and /api/chat (CONTRACTS.md): one zod schema each, types derived. */

export const CitationSchema = z.object({
  n: z.number().int().min(1),
  matterId: z.string(),
  matterName: z.string(),
  section: z.string(),
  /** At most 120 characters, an exact substring of one of the guide's own text values in that section. */
  quote: z.string().max(120),
  /** `/matters/<id>#<section>` (documents: `/docs/<id>#part-<n>`). */
  url: z.string(),
});
export type Citation = z.infer<typeof CitationSchema>;

export const HistoryItemSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string().max(4000, '对话记录中单条内容过长'),
});
export type HistoryItem = z.infer<typeof HistoryItemSchema>;

const id = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, '编号只能包含字母、数字、下划线和连字符');

export const AskRequestSchema = z.object({
  question: z.string({ message: '请输入您的问题' }),
  history: z.array(HistoryItemSchema).max(50, '对话记录过长').optional(),
  audience: z.enum(AUDIENCES, { message: 'audience 只能是“个人”或“法人”' }).optional(),
  matterId: z.string().max(64).optional(),
  conversationId: id.optional(),
});
export type AskRequest = z.infer<typeof AskRequestSchema>;

export const AnswerSchema = z.object({
  answerId: z.string(),
  conversationId: z.string(),
  answer: z.string(),
  citations: z.array(CitationSchema),
  matters: z.array(z.object({ id: z.string(), name: z.string(), score: z.number() })),
  refused: z.boolean(),
  clarify: z
    .object({ question: z.string(), options: z.array(z.object({ id: z.string(), name: z.string() })) })
    .optional(),
  followUps: z.array(z.string()).optional(),
  mode: z.enum(['extractive', 'llm']),
  timings: z.record(z.string(), z.number()),
  /** Set when the question held personal data (the citizen is told not to share it). */
  notice: z.string().optional(),
});
export type Answer = z.infer<typeof AnswerSchema>;

export const FeedbackRequestSchema = z.object({
  answerId: z.string().min(1).max(64),
  rating: z.enum(['up', 'down'], { message: 'rating 只能是 up 或 down' }),
  comment: z.string().max(1000, '意见请控制在1000字以内').optional(),
});
