/**
 * Requests at the edges of HTTP, sent from outside to break the service for other clients (issue
 * 20), at every hop: the apps directly, the dev proxy in front of them, and Debian's nginx on the
 * infra template in front of the same apps. Each odd request must get an answer (a problem when it
 * is refused), and the connection it came on must stay usable or be closed, never left unread.
 */
import {
  type DevStack,
  freePort,
  type NginxProcess,
  nginxBinary,
  ONE_CLIENT_LOAD_LIMITS,
  proxyEnvironment,
  type RawRequestSpec,
  type RawResponse,
  rawRequestsOnOneConnection,
  startDevStack,
  startNginx,
  stopAll,
  waitForHttp,
} from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

if (!nginxBinary()) {
  if (process.env.CI) throw new Error("request edges through nginx: no nginx");
  console.warn("\n  ⚠  request edges through nginx SKIPPED: no nginx (apt-get install nginx, or set NGINX_PATH)\n");
}

interface Hop {
  readonly name: string;
  /** Where sync-api's routes are at this hop. */
  readonly syncUrl: string;
  /** Where async-api's server is at this hop (its routes under the prefix). */
  readonly asyncUrl: string;
}

let stack: DevStack;
let nginx: NginxProcess | undefined;
const hops: Hop[] = [];

beforeAll(async () => {
  // No app rate limits: some cases send 80 requests from one address.
  stack = await startDevStack({
    syncWorkers: 1,
    env: { SYNC_API_RATE_LIMIT__ENABLED: "false", ASYNC_API_RATE_LIMIT__ENABLED: "false" },
  });
  hops.push(
    { name: "the apps directly", syncUrl: stack.syncUrl, asyncUrl: stack.asyncUrl },
    { name: "the dev proxy", syncUrl: stack.url, asyncUrl: stack.url },
  );
  if (!nginxBinary()) return;
  const port = await freePort();
  nginx = startNginx({
    ...proxyEnvironment(),
    ...ONE_CLIENT_LOAD_LIMITS,
    NGINX_PORT: String(port),
    SYNC_API_UPSTREAM: new URL(stack.syncUrl).host,
    ASYNC_API_UPSTREAM: new URL(stack.asyncUrl).host,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, { abortIf: nginx.exitReason });
  hops.push({ name: "nginx", syncUrl: url, asyncUrl: url });
}, 240_000);

afterAll(async () => {
  await nginx?.stop("SIGQUIT");
  await stopAll();
});

const P = () => stack.asyncPrefix;

/** Each hop's outcome for one case, as a line: a failing test shows every hop at once. */
async function atEveryHop(check: (hop: Hop) => Promise<string>): Promise<void> {
  const got: string[] = [];
  const want: string[] = [];
  for (const hop of hops) {
    want.push(`${hop.name}: ok`);
    got.push(`${hop.name}: ${await check(hop).catch((error: Error) => error.message)}`);
  }
  expect(got).toEqual(want);
  // No process of the stack died on the way.
  expect(stack.exitReason()).toBeUndefined();
}

function describeAnswer(answer: RawResponse | undefined): string {
  return answer ? `${answer.status} ${answer.headers["content-type"] ?? "(no content type)"}` : "no answer";
}

const upgradeTo = (protocol: string, extra: [string, string][] = []): RawRequestSpec["headers"] => [
  ["Upgrade", protocol],
  ["Connection", `Upgrade${extra.length > 0 ? `, ${extra.map(([name]) => name).join(", ")}` : ""}`],
  ...extra,
];

describe("an Upgrade that is not a WebSocket handshake on the WebSocket path", () => {
  // A handshake on a plain route may close its connection once answered: the dev proxy tunnels
  // every handshake, and says the app's answer before it closes the tunnel.
  it.each([
    ["Upgrade: foo", upgradeTo("foo"), false],
    ["Upgrade: h2c", upgradeTo("h2c", [["HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"]]), false],
    ["Upgrade: websocket on a plain route", upgradeTo("websocket"), true],
  ])("%s is served as an ordinary request; the connection answers the next one", async (_what, headers, mayClose) => {
    await atEveryHop(async (hop) => {
      for (const [url, path] of [
        [hop.asyncUrl, `${P()}/healthz`],
        [hop.syncUrl, "/healthz"],
      ] as const) {
        const answers = await rawRequestsOnOneConnection(
          url,
          [
            { method: "GET", target: path, ...(headers ? { headers } : {}) },
            { method: "GET", target: path },
          ],
          { timeoutMs: 10_000 },
        );
        const line = answers.map(describeAnswer).join(" then ");
        const [first, second] = answers;
        if (first?.status !== 200 || (second?.status !== 200 && !(mayClose && second === undefined)))
          return `${path}: ${line}`;
      }
      return "ok";
    });
  });
});
