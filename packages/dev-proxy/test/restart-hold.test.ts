/**
 * The dev proxy holds requests while an app restarts (its watcher reloading it after a save):
 * against a real upstream that stops and listens again on the same port. And its own 502s.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { status, UpstreamProblem } from "@repo/contracts";
import { freePort } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createDevProxy } from "../src/proxy.ts";
import { RestartHold } from "../src/restart-hold.ts";

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/**
 * An upstream answering with its generation and the body it read, on `port`. Once `drain` is set,
 * it drains as the apps do: readiness (/readyz) is a 503, every answer says `Connection: close`.
 */
async function upstream(port: number, generation: number, drain = { draining: false }): Promise<Server> {
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    if (req.url === "/readyz") {
      res.statusCode = drain.draining ? 503 : 200;
      res.end();
      return;
    }
    if (drain.draining) res.setHeader("connection", "close");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ generation, method: req.method, body }));
  });
  servers.push(server);
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return server;
}

async function generationOf(answer: Promise<Response>): Promise<number> {
  return ((await (await answer).json()) as { generation: number }).generation;
}

async function proxyTo(target: string, holdMs: number, readinessPath?: string) {
  const events: string[] = [];
  const proxy = createDevProxy({
    asyncPrefix: "/async",
    syncTarget: target,
    asyncTarget: target,
    restartHold: new RestartHold({
      holdMs,
      ...(readinessPath ? { readinessPaths: new Map([[target, readinessPath]]) } : {}),
      onDown: (name, starting) => events.push(`${starting ? "starting" : "down"} ${name}`),
      onBack: (name, _ms, starting) => events.push(`${starting ? "up" : "back"} ${name}`),
    }),
  });
  servers.push(proxy);
  proxy.listen(0, "127.0.0.1");
  await once(proxy, "listening");
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, events };
}

/** Stops `server` at once (as a restart does) and starts generation 2 on its port after `gapMs`. */
async function restart(server: Server, port: number, gapMs: number): Promise<void> {
  server.closeAllConnections();
  server.close();
  await sleep(gapMs);
  await upstream(port, 2);
}

describe("requests while an app restarts", () => {
  it("wait for it and are answered by the new process, with a body or without, said once each way", async () => {
    const port = await freePort();
    const first = await upstream(port, 1);
    const proxy = await proxyTo(`http://127.0.0.1:${port}`, 10_000);
    // A kept-alive connection to generation 1, which its restart resets.
    expect(await generationOf(fetch(`${proxy.url}/a`))).toBe(1);

    const restarting = restart(first, port, 700);
    await sleep(50);
    // The first request of the outage carries a body: refused, it is sent again from the copy kept.
    const write = fetch(`${proxy.url}/c`, {
      method: "POST",
      body: "a body",
      headers: { "content-type": "text/plain" },
    });
    await sleep(50);
    const answers = await Promise.all([
      fetch(`${proxy.url}/a`),
      fetch(`${proxy.url}/b`, { method: "HEAD" }),
      write,
      fetch(`${proxy.url}/async/d`, { method: "PUT", body: "x".repeat(100_000) }),
    ]);
    await restarting;
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(await answers[2]?.json()).toEqual({ generation: 2, method: "POST", body: "a body" });
    expect(await generationOf(Promise.resolve(answers[0] as Response))).toBe(2);
    expect(proxy.events).toEqual(["down sync-api", "back sync-api"]);
  });

  it("that the app answers with Connection: close, as it drains, go to the process that replaces it once it is ready", async () => {
    const port = await freePort();
    const drain = { draining: false };
    const first = await upstream(port, 1, drain);
    const proxy = await proxyTo(`http://127.0.0.1:${port}`, 10_000, "/readyz");
    expect(await generationOf(fetch(`${proxy.url}/a`))).toBe(1);

    // Generation 1 drains: it still accepts, and answers, each answer saying it is going.
    drain.draining = true;
    expect(await generationOf(fetch(`${proxy.url}/b`))).toBe(1);
    // The next write is not sent to it, to race its close: it waits for generation 2's readiness.
    const write = fetch(`${proxy.url}/c`, { method: "POST", body: "a body" });
    await sleep(300);
    const restarting = restart(first, port, 200);
    const answer = await write;
    await restarting;
    expect(await answer.json()).toEqual({ generation: 2, method: "POST", body: "a body" });
    expect(proxy.events).toEqual(["down sync-api", "back sync-api"]);
  });

  it("to an app that has not answered yet wait for it too, said as its start, not a restart", async () => {
    const port = await freePort();
    const proxy = await proxyTo(`http://127.0.0.1:${port}`, 10_000);
    const early = fetch(`${proxy.url}/a`);
    await sleep(200);
    await upstream(port, 1);
    expect(await generationOf(early)).toBe(1);
    expect(proxy.events).toEqual(["starting sync-api", "up sync-api"]);
  });

  it("past the hold, or with no hold, end in the 502 problem", async () => {
    const port = await freePort();
    const nothing = `http://127.0.0.1:${port}`;
    for (const holdMs of [0, 300]) {
      const proxy = await proxyTo(nothing, holdMs);
      const answer = await fetch(`${proxy.url}/a`);
      expect(answer.status).toBe(502);
      expect(answer.headers.get("content-type")).toBe("application/problem+json");
      expect(proxy.events).toEqual(holdMs ? ["starting sync-api"] : []);
    }
  });
});

describe("the proxy's own 502", () => {
  it("for the status endpoint is an UpstreamProblem with no upstream asked, as nginx's", async () => {
    const nothing = `http://127.0.0.1:${await freePort()}`;
    const proxy = createDevProxy({
      asyncPrefix: "/async",
      syncTarget: nothing,
      asyncTarget: nothing,
      upstreamProblemPaths: [`/async${status.endpoints.status.path}`],
    });
    servers.push(proxy);
    proxy.listen(0, "127.0.0.1");
    await once(proxy, "listening");
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const statusAnswer = await fetch(`${url}/async/status?x=1`);
    expect(statusAnswer.status).toBe(502);
    expect(UpstreamProblem.parse(await statusAnswer.json()).upstreams).toEqual([]);
    // Any other path's 502 is a plain problem.
    expect(await (await fetch(`${url}/async/healthz`)).json()).not.toHaveProperty("upstreams");
  });
});
