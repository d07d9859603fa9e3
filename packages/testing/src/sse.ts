/** One Server-Sent Event as a client sees it; comments (`: heartbeat`) come as `comment`. */
export interface SseMessage {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  readonly comment?: string;
}

/**
 * Opens an SSE stream with fetch and yields its messages as they arrive, until the stream ends or
 * `signal` aborts. A real client reading real bytes: no EventSource polyfill in between.
 */
export async function* readSse(
  url: string,
  { headers = {}, signal }: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): AsyncGenerator<SseMessage> {
  const response = await fetch(url, {
    headers: { accept: "text/event-stream", ...headers },
    ...(signal ? { signal } : {}),
  });
  if (!response.ok || !response.body) throw new Error(`SSE ${url}: status ${response.status}`);
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: Record<string, string> = {};
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) message.comment = line.slice(1).trim();
          else {
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            message[field] = message[field] === undefined ? value : `${message[field]}\n${value}`;
          }
        }
        yield message as SseMessage;
        end = buffer.indexOf("\n\n");
      }
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
  }
}
