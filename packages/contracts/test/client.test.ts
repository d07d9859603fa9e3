/** The typed client against a real HTTP server on loopback that plays either app. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  asyncHealth,
  ContractResponseError,
  createClient,
  requestIdFrom,
  saneRequestId,
  syncHealth,
} from "../src/index.ts";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** Serves `answer(path)` as JSON and records the paths asked for. */
async function serve(answer: (path: string) => { status: number; body: unknown }) {
  const paths: string[] = [];
  server = createServer((req, res) => {
    paths.push(req.url ?? "");
    const { status, body } = answer(req.url ?? "");
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, paths };
}

describe("createClient", () => {
  it("calls sync endpoints at their path and async ones under the async prefix", async () => {
    const { baseUrl, paths } = await serve((path) => ({
      status: 200,
      body: { status: "ok", runtime: path.startsWith("/async") ? "async" : "sync", pid: 7 },
    }));
    const client = createClient({ baseUrl });
    const sync = await client.controller(syncHealth).health();
    const async = await client.controller(asyncHealth).health();
    expect(sync).toMatchObject({ status: 200, body: { runtime: "sync", pid: 7 } });
    expect(async.body.runtime).toBe("async");
    expect(paths).toEqual(["/healthz", "/async/healthz"]);
  });

  it("uses another async prefix when told", async () => {
    const { baseUrl, paths } = await serve(() => ({ status: 200, body: { status: "ok", runtime: "async", pid: 1 } }));
    await createClient({ baseUrl, asyncPrefix: "/io" }).controller(asyncHealth).health();
    expect(paths).toEqual(["/io/healthz"]);
  });

  it("refuses a body that breaks the contract, naming the endpoint", async () => {
    const { baseUrl } = await serve(() => ({ status: 200, body: { status: "ok", runtime: "threads", pid: 1 } }));
    const call = createClient({ baseUrl }).controller(syncHealth).health();
    await expect(call).rejects.toThrow(ContractResponseError);
    await expect(call).rejects.toThrow(/syncHealth\.health \(GET \/healthz\) answered 200 with a body that breaks/);
  });

  it("refuses a status the contract does not declare", async () => {
    const { baseUrl } = await serve(() => ({ status: 503, body: { title: "down" } }));
    const call = createClient({ baseUrl }).controller(asyncHealth).health();
    await expect(call).rejects.toMatchObject({ status: 503, body: { title: "down" } });
  });
});

describe("request ids", () => {
  it("keeps a sane id and makes one otherwise", () => {
    expect(saneRequestId("abc-123_x.y:z")).toBe("abc-123_x.y:z");
    expect(saneRequestId(["first", "second"])).toBe("first");
    for (const bad of [undefined, "", "with space", "a\nb", "x".repeat(129), "<script>"]) {
      expect(saneRequestId(bad)).toBeUndefined();
      expect(requestIdFrom(bad)).toMatch(/^[0-9a-f]{32}$/);
    }
  });
});
