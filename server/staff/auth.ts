import crypto from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { ApiError } from '../errors.ts';

/** The console's session cookie: HttpOnly, SameSite=Strict, so other sites can neither read nor send it. */
export const STAFF_COOKIE = 'huiban_staff';
export const STAFF_SESSION_SECONDS = 8 * 3600;

const sha256 = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

/** Compares two secrets in constant time (hashing first makes the lengths equal). */
export function sameSecret(a: string, b: string): boolean {
  return crypto.timingSafeEqual(sha256(a), sha256(b));
}

/**
 * The cookie value for a token: derived, so the token itself never sits in the browser; it changes when
 * STAFF_TOKEN changes, which logs every console out.
 */
export function sessionValue(token: string): string {
  return crypto.createHmac('sha256', token).update('huiban-console-session-v1').digest('base64url');
}

export type StaffAuth = 'ok' | 'disabled' | 'missing' | 'wrong';

/** Whether a request carries the staff token (Authorization: Bearer) or a console session cookie. */
export function staffAuth(c: Context, token: string | undefined): StaffAuth {
  if (!token) return 'disabled';
  const header = c.req.header('authorization');
  const bearer = header && /^Bearer\s+(.+)$/i.exec(header.trim())?.[1];
  if (bearer) return sameSecret(bearer, token) ? 'ok' : 'wrong';
  const cookie = getCookie(c, STAFF_COOKIE);
  if (cookie) return sameSecret(cookie, sessionValue(token)) ? 'ok' : 'wrong';
  return 'missing';
}

export const STAFF_MESSAGES: Record<Exclude<StaffAuth, 'ok'>, { status: 401 | 403; code: string; message: string }> = {
  disabled: { status: 403, code: 'staff_disabled', message: '工作人员功能未开放：服务未配置 STAFF_TOKEN。' },
  missing: { status: 401, code: 'staff_unauthorized', message: '请先登录工作人员账号（需要工作人员口令）。' },
  wrong: { status: 401, code: 'staff_unauthorized', message: '工作人员口令不正确或登录已失效，请重新登录。' },
};

/** Middleware for staff API endpoints: 401/403 with a Chinese error unless authenticated. */
export function requireStaff(token: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    const r = staffAuth(c, token);
    if (r !== 'ok') {
      const m = STAFF_MESSAGES[r];
      if (m.status === 401) c.header('WWW-Authenticate', 'Bearer realm="huiban-staff"');
      throw new ApiError(m.status, m.code, m.message);
    }
    await next();
  };
}
