import { z } from 'zod';
import { AUDIENCES } from '../../ingest/guideSchema.ts';
import { CitationSchema, HistoryItemSchema } from '../answer/schema.ts';

/** The staff endpoints' shapes (CONTRACTS.md, "HTTP API"): one zod schema each, types derived. */

export const SUGGESTION_STYLES = ['concise', 'steps', 'clarify'] as const;
export type SuggestionStyle = (typeof SUGGESTION_STYLES)[number];

export const SuggestRequestSchema = z
  .object({
    /** The citizen's message as the help-desk received it (pasted). */
    message: z.string().max(2000, '群众留言请控制在2000字以内').optional(),
    /** The conversation so far; its last user message is the one replied to when `message` is absent. */
    history: z.array(HistoryItemSchema).max(50, '对话记录过长').optional(),
    audience: z.enum(AUDIENCES, { message: 'audience 只能是“个人”或“法人”' }).optional(),
  })
  .refine((b) => !!b.message?.trim() || !!b.history?.some((h) => h.role === 'user' && h.content.trim()), {
    message: '请粘贴群众的留言或对话内容',
  });
export type SuggestRequest = z.infer<typeof SuggestRequestSchema>;

export const SuggestionSchema = z.object({
  style: z.enum(SUGGESTION_STYLES),
  text: z.string(),
  citations: z.array(CitationSchema),
  /** Who wrote this suggestion (the response's `mode` is "llm" when any one was). */
  mode: z.enum(['extractive', 'llm']).optional(),
});
export type Suggestion = z.infer<typeof SuggestionSchema>;

export const SuggestResponseSchema = z.object({
  suggestions: z.array(SuggestionSchema),
  mode: z.enum(['extractive', 'llm']),
  /** The matters the suggestions are about, best first. */
  matters: z.array(z.object({ id: z.string(), name: z.string() })).optional(),
});
export type SuggestResponse = z.infer<typeof SuggestResponseSchema>;

export const PlainRequestSchema = z.object({
  text: z.string({ message: '请提供要改写的文字' }).trim().min(1, '请提供要改写的文字').max(4000, '要改写的文字请控制在4000字以内'),
});

export const PlainResponseSchema = z.object({
  text: z.string(),
  mode: z.enum(['extractive', 'llm']).optional(),
  /** The glossary terms that were replaced (extractive mode). */
  replaced: z.array(z.object({ term: z.string(), plain: z.string() })).optional(),
});
