/**
 * The edges of async-api's two streams (issue 20, items 6 and 9), at each hop a client reaches them
 * through: async-api directly, the dev proxy, and nginx in front of the production builds. HEAD on
 * the SSE path answers; other methods are 405 with `Allow`; `/ws` without a WebSocket handshake is a
 * 426 or 400 problem; one client holds at most `streams.maxPerClient` streams; an open stream ends
 * when its token expires; a token living longer than `auth.maxTokenLifetimeS` is refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { get as httpGet } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  noteEventsStream,
  PROBLEM_CONTENT_TYPE,
  ProblemDetails,
  signToken,
  socketChannel,
  TEST_SCOPE,
} from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import {
  ASYNC_PREFIX,
  nginxMissing,
  ONE_CLIENT_LOAD_LIMITS,
  PRODUCTION_STACK_JWT_SECRET,
  type ProductionStack,
  type RawResponse,
  rawRequest,
  readSse,
  runsHere,
  type SseMessage,
  startDevStack,
  startProductionStack,
  stopAll,
  waitFor,
} from "@repo/testing";
import { decodeJwt } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { startBothApps } from "./support/both-apps.ts";

/** Small enough to reach in a test; the same in every hop's async-api. */
const MAX_PER_CLIENT = 3;
const streamsEnv = {
  ASYNC_API_STREAMS__MAX_PER_CLIENT: String(MAX_PER_CLIENT),
  // A stream ends when its token is no longer accepted, `exp` plus this tolerance: none, to wait less.
  ASYNC_API_AUTH__CLOCK_TOLERANCE_S: "0",
};

const dir = mkdtempSync(join(tmpdir(), "stream-edges-"));
// The nginx stack, stopped with the rest at the end: the expiry cases use every hop at once.
let stack: ProductionStack | undefined;
afterAll(async () => {
  await stack?.stop();
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

interface Target {
  /** The origin a client talks to (async-api's routes under ASYNC_PREFIX). */
  readonly origin: string;
  /** The key the target's async-api verifies tokens with. */
  readonly jwtSecret: string;
  /**
   * Whether an Upgrade other than websocket reaches async-api as sent. The dev proxy's WebSocket
   * tunnel drops such a request unanswered, or (once it serves it as plain HTTP/1.1, issue 20
   * item 1) passes it on without its Upgrade: test/request-edges.test.ts covers that hop.
   */
  readonly passesOddUpgrades: boolean;
}

const token = (target: Target, ttlS = 600) =>
  signToken({ ...developmentAuth, jwtSecret: target.jwtSecret }, { subject: "stream-edges", scopes: [], ttlS });

const SSE = `${ASYNC_PREFIX}/events/notes`;
const WS = `${ASYNC_PREFIX}${socketChannel.path}`;

/** A raw request (any method, any header) on a fresh connection, answered in full. */
async function raw(target: Target, method: string, path: string, headers: [string, string][] = []) {
  const answer = await rawRequest(target.origin, { method, target: path, headers }, { timeoutMs: 10_000 });
  if (!answer) throw new Error(`${method} ${path}: the connection closed without an answer`);
  return answer;
}

/** The answer's problem body, checked to be application/problem+json. */
function problemOf(answer: RawResponse): ProblemDetails {
  expect(answer.headers["content-type"]?.split(";")[0], answer.head).toBe(PROBLEM_CONTENT_TYPE);
  return ProblemDetails.parse(JSON.parse(answer.text));
}

/** A WebSocket's handshake headers, valid unless a case changes them. */
const handshake = (changes: Record<string, string | undefined> = {}): [string, string][] =>
  Object.entries({
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    ...changes,
  }).filter((entry): entry is [string, string] => entry[1] !== undefined);

/** An SSE stream read in the background, open once its `: connected` comment came. */
async function openSse(target: Target, accessToken: string) {
  const messages: SseMessage[] = [];
  const stop = new AbortController();
  const done = (async () => {
    for await (const message of readSse(`${target.origin}${SSE}?access_token=${accessToken}`, { signal: stop.signal }))
      messages.push(message);
  })();
  done.catch(() => {});
  await Promise.race([
    done.then(() => {
      throw new Error("the stream ended before it opened");
    }),
    waitFor("the stream to open", async () => (messages.some((m) => m.comment === "connected") ? true : undefined)),
  ]);
  return { messages, done, close: () => stop.abort() };
}

/** A WebSocket on `/ws` (the browser's API), once open; `closed` resolves with its close code and reason. */
async function openSocket(target: Target, accessToken: string) {
  const socket = new WebSocket(`${target.origin.replace("http", "ws")}${WS}?access_token=${accessToken}`);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener("close", ({ code, reason }) => resolve({ code, reason }), { once: true }),
  );
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error("the socket did not open")), { once: true });
  });
  return { socket, closed };
}

/** The status an SSE request from `localAddress` gets; the stream is closed once it is known. */
function streamStatusFrom(url: string, localAddress: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { localAddress }, (response) => {
      resolve(response.statusCode);
      request.destroy();
    });
    request.on("error", reject);
  });
}

/** Every hop under test, for the cases that run at every hop at once (below). */
const hops: [string, () => Target][] = [];

/** The cases, the same at every hop, one hop after the other. */
function streamEdgeCases(hop: string, target: () => Target, runs = true) {
  if (runs) hops.push([hop, target]);
  it("HEAD on the SSE path answers with the stream's headers and no body; without a token, 401", async () => {
    const t = target();
    const head = await raw(t, "HEAD", `${SSE}?access_token=${await token(t)}`);
    expect(head.status, head.head).toBe(200);
    expect(head.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(head.body.length).toBe(0);
    expect((await raw(t, "HEAD", SSE)).status).toBe(401);
  });

  it("other methods on the SSE and WebSocket paths: 405 problems with Allow (OPTIONS: 204 with it)", async () => {
    const t = target();
    for (const path of [SSE, WS]) {
      for (const method of ["POST", "PUT", "DELETE", "PATCH", "TRACE"]) {
        const answer = await raw(t, method, path, [["Content-Length", "0"]]);
        expect(answer.status, `${method} ${path}: ${answer.head}`).toBe(405);
        expect(answer.headers.allow, `${method} ${path}`).toBe("GET, HEAD, OPTIONS");
        expect(problemOf(answer)).toMatchObject({ status: 405 });
      }
      const options = await raw(t, "OPTIONS", path);
      expect(options.status, `OPTIONS ${path}: ${options.head}`).toBe(204);
      expect(options.headers.allow).toBe("GET, HEAD, OPTIONS");
    }
  });

  it("GET /ws without Upgrade: a 426 problem naming websocket; an odd Upgrade or a broken handshake: a 400 problem", async () => {
    const t = target();
    const plain = await raw(t, "GET", WS);
    expect(plain.status, plain.head).toBe(426);
    expect(plain.headers.upgrade).toBe("websocket");
    expect(problemOf(plain)).toMatchObject({ status: 426, detail: expect.stringContaining("Upgrade: websocket") });
    // HEAD cannot be upgraded: the same 426, without the body.
    const head = await raw(t, "HEAD", WS);
    expect([head.status, head.headers.upgrade, head.body.length], head.head).toEqual([426, "websocket", 0]);

    const cases: Record<string, [string, string][]> = {
      ...(t.passesOddUpgrades ? { "Upgrade: foo": handshake({ Upgrade: "foo" }) } : {}),
      "no Sec-WebSocket-Key": handshake({ "Sec-WebSocket-Key": undefined }),
      "a short Sec-WebSocket-Key": handshake({ "Sec-WebSocket-Key": "c2hvcnQ=" }),
      "Sec-WebSocket-Version: 7": handshake({ "Sec-WebSocket-Version": "7" }),
      "no Sec-WebSocket-Version": handshake({ "Sec-WebSocket-Version": undefined }),
      "a malformed Sec-WebSocket-Protocol": handshake({ "Sec-WebSocket-Protocol": "a,,b" }),
    };
    for (const [name, headers] of Object.entries(cases)) {
      const answer = await raw(t, "GET", `${WS}?access_token=${await token(t)}`, headers);
      expect(answer.status, `${name}: ${answer.head}`).toBe(400);
      expect(problemOf(answer), name).toMatchObject({ status: 400 });
    }
  });

  it(`one client holds at most ${MAX_PER_CLIENT} streams, SSE and WebSocket together: a 429 problem beyond, a slot again once one closes`, async () => {
    const t = target();
    const accessToken = await token(t);
    const sse = await openSse(t, accessToken);
    // What earlier cases opened may still be closing on the server's side: wait for its slots.
    const socket = await waitFor("a free slot", () => openSocket(t, accessToken));
    const more = [];
    for (let i = 2; i < MAX_PER_CLIENT; i++) more.push(await openSse(t, accessToken));

    const refusedSse = await raw(t, "GET", `${SSE}?access_token=${accessToken}`);
    expect(refusedSse.status, refusedSse.head).toBe(429);
    expect(problemOf(refusedSse).detail).toContain(`${MAX_PER_CLIENT} streams`);
    const refusedWs = await raw(t, "GET", `${WS}?access_token=${accessToken}`, handshake());
    expect(refusedWs.status, refusedWs.head).toBe(429);
    expect(problemOf(refusedWs)).toMatchObject({ status: 429 });
    // The cap is per client: another address (127.0.0.2, loopback too) still opens one.
    expect(await streamStatusFrom(`${t.origin}${SSE}?access_token=${accessToken}`, "127.0.0.2")).toBe(200);

    // A socket that closes gives its slot back; so does a stream.
    socket.socket.close();
    await socket.closed;
    const again = await waitFor("the socket's slot", () => openSse(t, accessToken));
    sse.close();
    const socketAgain = await waitFor("the stream's slot", () => openSocket(t, accessToken));
    socketAgain.socket.close();
    for (const stream of [again, ...more]) stream.close();
  });
}

describe("async-api directly", () => {
  let origin = "";
  it("starts", async () => {
    origin = new URL((await startBothApps(dir, { async: streamsEnv })).async.url).origin;
  }, 60_000);
  streamEdgeCases("async-api", () => ({ origin, jwtSecret: developmentAuth.jwtSecret, passesOddUpgrades: true }));

  it("both apps refuse a token whose lifetime is longer than auth.maxTokenLifetimeS (a day)", async () => {
    const apps = await startBothApps(mkdtempSync(join(dir, "lifetime-")));
    const sign = (ttlS: number) => signToken(developmentAuth, { subject: "long-lived", scopes: [TEST_SCOPE], ttlS });
    const tooLong = await sign(2 * 86_400);
    const withinIt = await sign(86_400);
    for (const { url } of Object.values(apps)) {
      const refused = await fetch(`${url}/_test/whoami`, { headers: { authorization: `Bearer ${tooLong}` } });
      expect(refused.status, url).toBe(401);
      expect(refused.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
      expect(ProblemDetails.parse(await refused.json()).detail).toContain("longer than 86400 s");
      const accepted = await fetch(`${url}/_test/whoami`, { headers: { authorization: `Bearer ${withinIt}` } });
      expect(accepted.status, url).toBe(200);
    }
  }, 60_000);
});

describe("through the dev proxy", () => {
  let origin = "";
  it("starts", async () => {
    origin = (await startDevStack({ syncWorkers: 1, asyncEnv: streamsEnv })).url;
  }, 120_000);
  streamEdgeCases("dev proxy", () => ({ origin, jwtSecret: developmentAuth.jwtSecret, passesOddUpgrades: false }));
});

const nginxHere = runsHere("stream edges through nginx", nginxMissing());
describe.skipIf(!nginxHere)("through nginx, in front of the production builds", () => {
  it("starts", async () => {
    stack = await startProductionStack({ env: streamsEnv, nginx: ONE_CLIENT_LOAD_LIMITS });
  }, 240_000);
  streamEdgeCases(
    "nginx",
    () => ({
      origin: stack?.url ?? "",
      jwtSecret: PRODUCTION_STACK_JWT_SECRET,
      passesOddUpgrades: true,
    }),
    nginxHere,
  );
});

// Each hop's case waits for a token to expire: the hops wait at once.
describe("at every hop at once", () => {
  it.concurrent.each(hops)(
    `%s: open streams end when their token expires: SSE with a \`${noteEventsStream.tokenExpiredEvent}\` event, WebSocket with close code ${socketChannel.closeCodes.tokenExpired}`,
    async (_hop, target) => {
      const t = target();
      // Long enough to open both streams under load; the streams must then end at its expiry.
      const shortLived = await token(t, 8);
      const sse = await waitFor("a slot for the stream", () => openSse(t, shortLived));
      const socket = await waitFor("a slot for the socket", () => openSocket(t, shortLived));

      await sse.done;
      // Not before the token expired (`exp`, with no clock tolerance in this stack).
      expect(Date.now() / 1_000).toBeGreaterThanOrEqual((decodeJwt(shortLived).exp ?? 0) - 1);
      const last = sse.messages.at(-1);
      expect(last?.event).toBe(noteEventsStream.tokenExpiredEvent);
      expect(ProblemDetails.parse(JSON.parse(last?.data ?? ""))).toMatchObject({ status: 401 });
      expect(await socket.closed).toEqual({ code: socketChannel.closeCodes.tokenExpired, reason: "token expired" });
    },
    30_000,
  );
});
