/** Calls to the service; its errors ({error: {code, message}}) become an Error with the Chinese message. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function errorOf(res: Response, fallback: string): Promise<ServiceError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return new ServiceError(res.status, body.error?.code ?? 'error', body.error?.message ?? fallback);
  } catch {
    return new ServiceError(res.status, 'error', fallback);
  }
}

export async function getJson<T>(url: string, fallback: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { signal, credentials: 'omit' });
  if (!res.ok) throw await errorOf(res, fallback);
  return (await res.json()) as T;
}

export async function postJson<T>(url: string, body: unknown, fallback: string): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'omit' });
  if (!res.ok) throw await errorOf(res, fallback);
  return (await res.json()) as T;
}

/** A random id for messages and conversations (the service accepts [A-Za-z0-9_-]{1,64}). */
export function newId(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = c.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
