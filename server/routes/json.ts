import type { Context } from 'hono';
import type { z } from 'zod';
import { badRequest } from '../errors.ts';

/** Reads a JSON body and validates it; broken JSON and invalid fields are 400s with a Chinese message. */
export async function readJson<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw badRequest('invalid_json', '请求内容不是有效的 JSON。');
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw badRequest('invalid_body', describeIssue(r.error.issues[0]));
  return r.data;
}

/** A zod issue in words a citizen (or a widget developer) understands: our own Chinese message, or a generic one. */
export function describeIssue(i: z.core.$ZodIssue): string {
  const field = i.path.length ? `「${i.path.join('.')}」` : '请求内容';
  if (/[\u4e00-\u9fa5]/.test(i.message)) return i.path.length ? `${field}：${i.message}` : i.message;
  if (i.code === 'invalid_type') return `${field}缺失或类型不正确`;
  if (i.code === 'too_big') return `${field}过长或过大`;
  if (i.code === 'too_small') return `${field}过短或为空`;
  return `${field}格式不正确`;
}
