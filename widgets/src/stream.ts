/**
 * Reads an AI SDK v5 UI-message stream (server-sent events, one JSON part per `data:` line, `[DONE]` last) by
 * hand, so the widget needs no SDK: parts arrive as they are sent (text-delta, source-url, data-answer…).
 */
export interface UiPart {
  type: string;
  [key: string]: unknown;
}

export async function* uiMessageParts(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<UiPart> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      if (signal?.aborted) return;
      const { value, done } = await reader.read();
      buffer += decoder.decode(value ?? new Uint8Array(), { stream: !done });
      let cut: number;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
        const data = event
          .split(/\r?\n/)
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
          .join('\n');
        if (!data) continue;
        if (data === '[DONE]') return;
        try {
          yield JSON.parse(data) as UiPart;
        } catch {
          // A malformed event is skipped; the rest of the answer still shows.
        }
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}
