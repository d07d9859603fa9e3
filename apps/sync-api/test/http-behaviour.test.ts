/** sync-api's HTTP behaviour behind a proxy, and its CPU-bound endpoint. */
import { logLines, stopAll, waitFor } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startSyncApi } from "./support.ts";

afterEach(stopAll);

describe("behind a proxy", () => {
  it("keeps idle connections open longer than the proxy does (Keep-Alive: timeout=65)", async () => {
    const { url } = await startSyncApi(1);
    const response = await fetch(`${url}/healthz`);
    expect(response.headers.get("keep-alive")).toBe("timeout=65");
  });

  it("takes the client's address from X-Forwarded-For only from a trusted hop", async () => {
    const trusted = await startSyncApi(1, { SYNC_API_LOG__LEVEL: "info" });
    // Any route but a probe (those are logged at debug).
    const route = "/compute/primes?below=10";
    await fetch(`${trusted.url}${route}`, { headers: { "x-forwarded-for": "203.0.113.9", "x-request-id": "ip-1" } });
    const untrusted = await startSyncApi(1, { SYNC_API_LOG__LEVEL: "info", SYNC_API_HTTP__TRUST_PROXY: "[]" });
    await fetch(`${untrusted.url}${route}`, { headers: { "x-forwarded-for": "203.0.113.9", "x-request-id": "ip-2" } });
    const ipOf = async (app: typeof trusted.app, id: string) =>
      (await waitFor("the log line", async () => logLines(app).find((l) => l.reqId === id))).req as { ip: string };
    expect((await ipOf(trusted.app, "ip-1")).ip).toBe("203.0.113.9");
    expect((await ipOf(untrusted.app, "ip-2")).ip).toBe("127.0.0.1");
  });
});

describe("the CPU-bound endpoint", () => {
  it("counts primes, within the bound its contract sets", async () => {
    const { url } = await startSyncApi(1);
    const ok = await fetch(`${url}/compute/primes?below=100`);
    expect(await ok.json()).toMatchObject({ below: 100, count: 25, largest: 97 });
    const tooBig = await fetch(`${url}/compute/primes?below=20000001`);
    expect(tooBig.status).toBe(400);
    expect(await tooBig.json()).toMatchObject({ errors: [{ location: "query.below", code: "too_big" }] });
  });
});
