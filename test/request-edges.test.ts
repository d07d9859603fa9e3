/**
 * Requests at the edges of HTTP, sent from outside to break the service for other clients (issue
 * 20), at every hop: the apps directly, the dev proxy in front of them, and Debian's nginx on the
 * infra template in front of the same apps. Each odd request must get an answer (a problem when it
 * is refused), and the connection it came on must stay usable or be closed, never left unread.
 */
import { PROBLEM_CONTENT_TYPE } from "@repo/contracts";
import {
  type DevStack,
  type NginxProcess,
  nginxBinary,
  nginxInFront,
  type RawRequestSpec,
  type RawResponse,
  rawRequest,
  rawRequestsOnOneConnection,
  startDevStack,
  stopAll,
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
  let url: string;
  ({ url, nginx } = await nginxInFront(stack));
  hops.push({ name: "nginx", syncUrl: url, asyncUrl: url });
}, 240_000);

afterAll(async () => {
  await nginx?.stop("SIGQUIT");
  await stopAll();
});

const P = () => stack.asyncPrefix;

/** One app at one hop: where to send, and its health route's path (async-api's under the prefix). */
interface Place {
  readonly hop: Hop;
  readonly app: "sync" | "async";
  readonly url: string;
  readonly path: string;
}

/**
 * Runs `check` on both apps at every hop (through the proxies only, if asked); it resolves with
 * what went wrong, or undefined. One line per hop: a failing test shows every hop at once.
 */
async function atEveryHop(
  check: (place: Place) => Promise<string | undefined>,
  { proxiesOnly = false }: { proxiesOnly?: boolean } = {},
): Promise<void> {
  const got: string[] = [];
  const want: string[] = [];
  for (const hop of proxiesOnly ? hops.slice(1) : hops) {
    const wrong: string[] = [];
    for (const place of [
      { hop, app: "sync", url: hop.syncUrl, path: "/healthz" },
      { hop, app: "async", url: hop.asyncUrl, path: `${P()}/healthz` },
    ] as const) {
      const outcome = await check(place).catch((error: Error) => error.message);
      if (outcome !== undefined) wrong.push(`${place.app}: ${outcome}`);
    }
    want.push(`${hop.name}: ok`);
    got.push(`${hop.name}: ${wrong.length > 0 ? wrong.join("; ") : "ok"}`);
  }
  expect(got).toEqual(want);
  // No process of the stack died on the way.
  expect(stack.exitReason()).toBeUndefined();
}

function describeAnswer(answer: RawResponse | undefined): string {
  return answer ? `${answer.status} ${answer.headers["content-type"] ?? "(no content type)"}` : "no answer";
}

/** The answer is a problem of `status` (an app's, or a proxy's own). */
function isProblem(answer: RawResponse | undefined, status: number): boolean {
  return (
    answer?.status === status &&
    /^application\/problem\+json/.test(answer.headers["content-type"] ?? "") &&
    JSON.parse(answer.text).status === status
  );
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
    await atEveryHop(async ({ url, path }) => {
      const answers = await rawRequestsOnOneConnection(
        url,
        [
          { method: "GET", target: path, ...(headers ? { headers } : {}) },
          { method: "GET", target: path },
        ],
        { timeoutMs: 10_000 },
      );
      const [first, second] = answers;
      if (first?.status !== 200 || (second?.status !== 200 && !(mayClose && second === undefined)))
        return answers.map(describeAnswer).join(" then ");
      return undefined;
    });
  });
});

describe("an absolute-form target no URL can be made of", () => {
  const authorities = ["http://x:99999", "http://[::1", "http://x:abc", "http://1.2.3.4.5"];

  // nginx's own parser takes some of them (port 99999, a host of five numbers) and forwards the
  // path in origin form: the app's answer. Refused, it is a 400 problem at every hop.
  it("gets a 400 problem or is served as its path at every hop, and the hop keeps serving", async () => {
    await atEveryHop(async ({ hop, url, path }) => {
      const wrong: string[] = [];
      for (const authority of authorities) {
        const target = `${authority}${path}`;
        const answer = await rawRequest(url, { method: "GET", target }, { timeoutMs: 10_000 });
        const servedAsPath = hop.name === "nginx" && answer?.status === 200;
        if (!isProblem(answer, 400) && !servedAsPath)
          wrong.push(`${target}: ${describeAnswer(answer)} ${answer?.text.slice(0, 80)}`);
      }
      const after = await rawRequest(url, { method: "GET", target: path }, { timeoutMs: 10_000 });
      if (after?.status !== 200) wrong.push(`then ${path}: ${describeAnswer(after)}`);
      return wrong.length > 0 ? wrong.join("; ") : undefined;
    });
  });

  it("gets a 400 problem as a WebSocket handshake at the dev proxy, which keeps serving", async () => {
    const handshake = (target: string): RawRequestSpec => ({
      method: "GET",
      target,
      headers: [
        ...(upgradeTo("websocket") ?? []),
        ["Sec-WebSocket-Version", "13"],
        ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
      ],
    });
    const got: string[] = [];
    for (const authority of authorities) {
      const answer = await rawRequest(stack.url, handshake(`${authority}${P()}/a/path`), { timeoutMs: 10_000 });
      got.push(`${authority}: ${describeAnswer(answer)}`);
    }
    expect(got).toEqual(authorities.map((authority) => `${authority}: 400 ${PROBLEM_CONTENT_TYPE}`));
    expect((await rawRequest(stack.url, { method: "GET", target: "/healthz" }))?.status).toBe(200);
    expect(stack.exitReason()).toBeUndefined();
  });
});

describe("an app's early answer to a large body", () => {
  // Under the apps' 1 MiB limit, so no proxy answers 413 for it; large enough that the app
  // answers before it has all arrived. Sent with `Connection: close`, which the dev proxy passed
  // on: the app then closed the upstream connection under the body still being written. (At
  // the apps directly the client's own close races its answer: a Node server resets a closed
  // connection with unread bytes, where nginx lingers.)
  const body = Buffer.alloc(1_000_000, "x");

  // Each app's 405 for a POST to its health route, answered before the body is read.
  const early = { sync: { path: "/healthz", status: 405 }, async: { path: "/healthz", status: 405 } } as const;

  it("reaches the client every time through each proxy, never a 502", async () => {
    await atEveryHop(
      async ({ app, url }) => {
        const { path, status } = early[app];
        const target = app === "sync" ? path : `${P()}${path}`;
        const got = new Map<string, number>();
        for (let i = 0; i < 80; i++) {
          const answer = await rawRequest(
            url,
            { method: "POST", target, headers: [["Content-Type", "application/json"]], body },
            { timeoutMs: 10_000 },
          ).catch(() => undefined);
          const seen = isProblem(answer, status) ? "right" : `${describeAnswer(answer)} ${answer?.text.slice(0, 60)}`;
          got.set(seen, (got.get(seen) ?? 0) + 1);
        }
        return got.get("right") === 80 ? undefined : JSON.stringify(Object.fromEntries(got));
      },
      { proxiesOnly: true },
    );
  });
});

describe("headers a server must refuse", () => {
  // nginx does not pass Expect on and ignores what it cannot meet, as RFC 9110 lets it: served.
  it("an Expect other than 100-continue is a 417 problem at the apps and the dev proxy", async () => {
    await atEveryHop(async ({ hop, url, path }) => {
      const answer = await rawRequest(url, { method: "GET", target: path, headers: [["Expect", "fancy"]] });
      const served = hop.name === "nginx" && answer?.status === 200;
      return isProblem(answer, 417) || served ? undefined : `${describeAnswer(answer)} ${answer?.text.slice(0, 60)}`;
    });
  });

  it("two Host headers are a 400 problem through each proxy, as nginx answers them", async () => {
    await atEveryHop(
      async ({ url, path }) => {
        const hosts: [string, string][] = [
          ["Host", "a.example"],
          ["Host", "b.example"],
        ];
        const answer = await rawRequest(url, { method: "GET", target: path, headers: hosts });
        return isProblem(answer, 400) ? undefined : describeAnswer(answer);
      },
      { proxiesOnly: true },
    );
  });
});
