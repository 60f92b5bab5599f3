import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An error a client can act on: HTTP status, a machine-readable code and a message a citizen understands. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
export const notFound = (code: string, message: string) => new ApiError(404, code, message);

/** The error body of CONTRACTS.md. */
export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** The one 404 for an unknown matter id (API routes and guide pages). */
export const matterNotFound = () => notFound('matter_not_found', '没有找到这个事项，请检查事项编号。');
