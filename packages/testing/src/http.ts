import { type Agent, get, type IncomingHttpHeaders } from "node:http";

export interface PlainResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One GET with node:http. By default on a fresh connection (`agent: false`), so no keep-alive
 * socket ties it to one worker of a cluster; pass an agent to reuse connections on purpose.
 * Fails if no answer comes within `timeoutMs`.
 */
export function httpGet(
  url: string,
  { agent = false, timeoutMs = 10_000 }: { agent?: Agent | false; timeoutMs?: number } = {},
): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    request.on("error", reject);
  });
}
