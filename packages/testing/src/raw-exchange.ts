import { connect } from "node:net";

export interface RawAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body, de-chunked. */
  readonly text: string;
}

/**
 * Sends bytes exactly as given to `origin` (`http://host:port`) on a fresh connection and reads the
 * answer until the server closes: for requests no HTTP client would send (any method, broken
 * framing, a body announced and never sent, oversized headers). Pieces are written in order.
 */
export async function rawExchange(origin: string, ...pieces: (string | Buffer)[]): Promise<RawAnswer> {
  const url = new URL(origin);
  const socket = connect(Number(url.port), url.hostname);
  for (const piece of pieces) socket.write(piece);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return parseAnswer(Buffer.concat(chunks).toString("utf8"));
}

/** An answer as read off the wire, until the server closed. */
export function parseAnswer(raw: string): RawAnswer {
  const split = raw.indexOf("\r\n\r\n");
  const [statusLine = "", ...headerLines] = raw.slice(0, split).split("\r\n");
  const headers = Object.fromEntries(
    headerLines.map((line) => [
      line.slice(0, line.indexOf(":")).toLowerCase(),
      line.slice(line.indexOf(":") + 1).trim(),
    ]),
  );
  const text = raw.slice(split + 4);
  return {
    status: Number(statusLine.split(" ")[1]),
    headers,
    text: headers["transfer-encoding"] === "chunked" ? dechunk(text) : text,
  };
}

/** A request's head, as `rawExchange` sends it: request line, headers, blank line. */
export function rawHead(requestLine: string, headers: Readonly<Record<string, string>>): string {
  return `${[requestLine, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join("\r\n")}\r\n\r\n`;
}

function dechunk(text: string): string {
  let out = "";
  let rest = text;
  for (;;) {
    const end = rest.indexOf("\r\n");
    const size = Number.parseInt(rest.slice(0, end), 16);
    if (!size) return out;
    out += rest.slice(end + 2, end + 2 + size);
    rest = rest.slice(end + 2 + size + 2);
  }
}
