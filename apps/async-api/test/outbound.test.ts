/**
 * Calls to other services: async-api's status endpoint against real HTTP upstreams on loopback
 * that answer, fail, hang, or are not there at all.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort, startApp, stopAll, waitFor, waitForHttp } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";

const servers: Server[] = [];
afterEach(async () => {
  await stopAll();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

interface Upstream {
  readonly url: string;
  /** Requests it received, and whether each was closed by the caller before an answer. */
  readonly seen: { url: string; abandoned: boolean }[];
}

/** An upstream that answers `behaviour(req)`: a status, or "hang" to never answer. */
async function upstream(behaviour: (req: IncomingMessage) => number | "hang"): Promise<Upstream> {
  const seen: Upstream["seen"] = [];
  const server = createServer((req, res) => {
    const record = { url: req.url ?? "", abandoned: false };
    seen.push(record);
    res.once("close", () => {
      if (!res.writableFinished) record.abandoned = true;
    });
    const answer = behaviour(req);
    if (answer === "hang") return;
    res.writeHead(answer, { "content-type": "application/json" }).end(JSON.stringify({ status: answer }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** async-api with these upstreams (sync-api's entry, which the settings always have, among them). */
async function startWith(upstreams: { "sync-api": string } & Record<string, string>, env: Record<string, string> = {}) {
  const port = await freePort();
  const config = Object.fromEntries(
    Object.entries(upstreams).map(([name, url]) => [name, { url, statusPath: "/status" }]),
  );
  const app = startApp("async-api", {
    env: {
      ASYNC_API_PORT: String(port),
      ASYNC_API_UPSTREAMS: JSON.stringify(config),
      ASYNC_API_OUTBOUND__REQUEST_TIMEOUT_MS: "500",
      ...env,
    },
  });
  const url = `http://127.0.0.1:${port}/async`;
  await waitForHttp(`${url}/healthz`, { abortIf: app.exitReason });
  return { app, url };
}

describe("GET /async/status", () => {
  it("asks every upstream at once and reports each when all are up", async () => {
    const a = await upstream(() => 200);
    const b = await upstream(() => 204);
    const { url } = await startWith({ "sync-api": a.url, beta: b.url });
    const response = await fetch(`${url}/status`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { upstreams: { name: string; outcome: string; httpStatus: number }[] };
    expect(body.upstreams.map((u) => [u.name, u.outcome, u.httpStatus])).toEqual([
      ["sync-api", "ok", 200],
      ["beta", "ok", 204],
    ]);
  });

  it("answers 504 within the timeout when an upstream hangs, naming it", async () => {
    const fast = await upstream(() => 200);
    const hanging = await upstream(() => "hang");
    const { url } = await startWith({ "sync-api": fast.url, hanging: hanging.url });
    const started = Date.now();
    const response = await fetch(`${url}/status`);
    const elapsed = Date.now() - started;
    expect(response.status).toBe(504);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const problem = (await response.json()) as { detail: string; upstreams: { name: string; outcome: string }[] };
    expect(problem.detail).toBe("hanging: timeout");
    expect(problem.upstreams.map((u) => [u.name, u.outcome])).toEqual([
      ["sync-api", "ok"],
      ["hanging", "timeout"],
    ]);
    // The request timeout is 500 ms: the answer comes soon after, not at some later default.
    expect(elapsed).toBeLessThan(2_500);
    await waitFor("the hanging call to be abandoned", async () => (hanging.seen[0]?.abandoned ? true : undefined));
  });

  it("answers 502 when an upstream fails or cannot be reached", async () => {
    const failing = await upstream(() => 500);
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const { url } = await startWith({ "sync-api": failing.url, nowhere });
    const response = await fetch(`${url}/status`);
    expect(response.status).toBe(502);
    const problem = (await response.json()) as {
      detail: string;
      upstreams: { outcome: string; httpStatus: number | null }[];
    };
    expect(problem.upstreams.map((u) => [u.outcome, u.httpStatus])).toEqual([
      ["failed", 500],
      ["unreachable", null],
    ]);
    expect(problem.detail).toBe("sync-api: failed (500); nowhere: unreachable");
    // Names and outcomes only: the internal addresses are not for the public.
    expect(JSON.stringify(problem)).not.toMatch(/127\.0\.0\.1|http:|ECONNREFUSED/);
  });

  it("cancels its upstream calls when the client disconnects", async () => {
    const hanging = await upstream(() => "hang");
    const { app, url } = await startWith(
      { "sync-api": hanging.url },
      { ASYNC_API_OUTBOUND__REQUEST_TIMEOUT_MS: "30000" },
    );
    const client = new AbortController();
    const call = fetch(`${url}/status`, { signal: client.signal }).catch(() => "aborted");
    const statusCall = () => hanging.seen.find((r) => r.url === "/status");
    await waitFor("the upstream to be called", async () => (statusCall() ? true : undefined));
    client.abort();
    expect(await call).toBe("aborted");
    // Long before the 30 s timeout, the upstream sees its request dropped.
    await waitFor("the upstream call to be cancelled", async () => (statusCall()?.abandoned ? true : undefined), {
      timeoutMs: 5_000,
    });
    // And the app is fine.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(app.exitReason()).toBeUndefined();
  });

  it("sends the request's X-Request-ID on to the upstream, so its logs name the same request", async () => {
    const headers: IncomingMessage["headers"][] = [];
    const recording = await upstream((req) => {
      // (Other callers may poll this upstream too: only the status call counts.)
      if (req.url === "/status") headers.push(req.headers);
      return 200;
    });
    const { url } = await startWith({ "sync-api": recording.url });
    const response = await fetch(`${url}/status`, { headers: { "x-request-id": "trace-me-0001" } });
    expect(response.status).toBe(200);
    expect(headers.map((h) => h["x-request-id"])).toEqual(["trace-me-0001"]);
  });
});
