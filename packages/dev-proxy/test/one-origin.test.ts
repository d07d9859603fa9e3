/**
 * The three processes of `pnpm dev` (sync-api, async-api, the proxy), started from source on
 * free ports, reached through the proxy with the typed client from @repo/contracts.
 */
import { asyncHealth, createClient, syncHealth } from "@repo/contracts";
import { ASYNC_PREFIX, freePort, startApp, stopAll, validateOpenApi, waitFor, waitForHttp } from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let baseUrl = "";
let proxyOutput = () => "";

beforeAll(async () => {
  const [proxyPort, syncPort, asyncPort] = await Promise.all([freePort(), freePort(), freePort()]);
  // The proxy finds the apps through their own settings variables, as in `pnpm dev`.
  const env = { PORT: String(proxyPort), SYNC_API_PORT: String(syncPort), ASYNC_API_PORT: String(asyncPort) };
  const sync = startApp("sync-api", { env: { ...env, SYNC_API_WORKERS: "2" } });
  const async = startApp("async-api", { env });
  const proxy = startApp("dev-proxy", { env });
  proxyOutput = proxy.output;
  baseUrl = `http://localhost:${proxyPort}`;
  for (const [path, app] of [
    ["/healthz", sync],
    [`${ASYNC_PREFIX}/healthz`, async],
  ] as const) {
    await waitForHttp(`${baseUrl}${path}`, { abortIf: () => app.exitReason() ?? proxy.exitReason() });
  }
});
afterAll(stopAll);

describe("one origin for both runtimes", () => {
  it("reaches sync-api and async-api through the proxy with the typed client", async () => {
    const client = createClient({ baseUrl });
    const sync = await client.controller(syncHealth).health();
    const async = await client.controller(asyncHealth).health();
    expect(sync.status).toBe(200);
    expect(sync.body.runtime).toBe("sync");
    expect(async.body.runtime).toBe("async");
    expect(sync.headers.get("x-request-id")).toMatch(/^[0-9a-f]{32}$/);
  });

  it("passes the client's request id through to the app and back", async () => {
    const response = await fetch(`${baseUrl}${ASYNC_PREFIX}/healthz`, {
      headers: { "x-request-id": "through-proxy-1" },
    });
    expect(response.headers.get("x-request-id")).toBe("through-proxy-1");
  });

  it("serves the whole API's OpenAPI 3.1 document at /openapi.json, valid, with both apps' paths", async () => {
    const response = await fetch(`${baseUrl}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { paths: Record<string, unknown> };
    const { version, errors } = await validateOpenApi(document);
    expect([version, errors]).toEqual(["3.1", []]);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(["/healthz", "/compute/primes", `${ASYNC_PREFIX}/healthz`]),
    );
  });

  it("prints its banner once, with the API reference's URL", async () => {
    // The banner comes once the proxy's own health polls see both apps, a moment after this file's.
    const reference = `API reference ${baseUrl}/docs`;
    await waitFor("the banner", async () => (proxyOutput().includes(reference) ? true : undefined));
    const lines = proxyOutput()
      .split("\n")
      .filter((line) => line.includes(reference));
    expect(lines).toHaveLength(1);
  });
});
