/**
 * Upstreams in settings (docs/settings.md, "Upstreams"): an environment adds, changes, replaces or
 * removes (`null`) an entry of the layers before it, and each upstream says whether
 * `/async/status` asks it (`status`, default true).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { UpstreamStatus } from "@repo/contracts";
import { formatSettingsReport, type ResolvedSettings } from "@repo/shared-settings";
import { ASYNC_PREFIX, freePort, logLines, startApp, stopAll, waitFor, waitForHttp } from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Outbound } from "../src/outbound/client.ts";
import { statusRoutes } from "../src/routes/status.ts";
import { asyncApiSettings, loopbackUpstreamWarnings } from "../src/settings/index.ts";

const load = (upstreams: unknown, env: Record<string, string> = {}) =>
  asyncApiSettings.load({ NODE_ENV: "test", ASYNC_API_UPSTREAMS: JSON.stringify(upstreams), ...env });

describe("upstreams from the environment", () => {
  it("the default entry, counted for the status", () => {
    expect(asyncApiSettings.load({ NODE_ENV: "test" }).upstreams).toEqual({
      "sync-api": { url: "http://127.0.0.1:3001", statusPath: "/readyz", status: true, headers: {} },
    });
  });

  it("add an entry, and change a default one key by key", () => {
    const settings = load({
      "sync-api": { url: "http://sync-api:3001" },
      weather: { url: "http://w", statusPath: "/" },
    });
    expect(settings.upstreams).toEqual({
      "sync-api": { url: "http://sync-api:3001", statusPath: "/readyz", status: true, headers: {} },
      weather: { url: "http://w", statusPath: "/", status: true, headers: {} },
    });
  });

  it("remove a default entry with null (and replace it under another name)", () => {
    const settings = load(
      { "sync-api": null, primary: { url: "http://primary:3001", statusPath: "/readyz" } },
      { ASYNC_API_NOTE_EVENTS__UPSTREAM: "primary" }, // #example
    );
    expect(Object.keys(settings.upstreams)).toEqual(["primary"]);
  });

  // #region example
  it("a removed entry is gone for the checks too", () => {
    expect(() => load({ "sync-api": null })).toThrow(/noteEvents\.upstream.*names no upstream/s);
  });
  // #endregion example

  it("secret headers per upstream: from a file, never printed, and only for an upstream that exists", () => {
    const dir = mkdtempSync(join(tmpdir(), "upstream-secrets-"));
    const file = join(dir, "upstream_secrets");
    writeFileSync(file, JSON.stringify({ weather: { "x-api-key": "k-123" } }));
    const env = {
      NODE_ENV: "test",
      ASYNC_API_UPSTREAMS: JSON.stringify({ weather: { url: "http://w", statusPath: "/" } }),
    };
    const resolution = asyncApiSettings.resolve({ ...env, ASYNC_API_UPSTREAM_SECRETS_FILE: file });
    expect(asyncApiSettings.load({ ...env, ASYNC_API_UPSTREAM_SECRETS_FILE: file }).upstreamSecrets).toEqual({
      weather: { "x-api-key": "k-123" },
    });
    // What `pnpm settings async-api` prints: the key and its file, not the key's value.
    const report = formatSettingsReport("async-api", resolution as ResolvedSettings, "test");
    expect(report).toContain("upstreamSecrets");
    expect(report).not.toContain("k-123");
    expect(() =>
      asyncApiSettings.load({ NODE_ENV: "test", ASYNC_API_UPSTREAM_SECRETS: JSON.stringify({ nowhere: { a: "b" } }) }),
    ).toThrow(/upstreamSecrets\.nowhere.*names no upstream/s);
  });

  it("status: false keeps an upstream out of /async/status", () => {
    const settings = load({ weather: { url: "http://w", statusPath: "/", status: false } });
    expect(settings.upstreams.weather?.status).toBe(false);
  });
});

describe("/async/status asks the upstreams that count for it", () => {
  let server: Server;
  let url = "";
  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("an upstream with status: false is not asked, so its being down is no 502", async () => {
    const upstreams = {
      "sync-api": { url, statusPath: "/readyz", status: true, headers: {} },
      // Nothing listens on port 9 of loopback: asked, it would be unreachable.
      weather: { url: "http://127.0.0.1:9", statusPath: "/", status: false, headers: {} },
    };
    const outbound = new Outbound(
      {
        connectTimeoutMs: 1_000,
        requestTimeoutMs: 1_000,
        connections: 1,
        retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
        breaker: { failures: 0, openMs: 1 },
      },
      { upstreams },
    );
    const { handlers } = statusRoutes({ outbound, upstreams });
    const answer = (await handlers.status?.({
      id: "test",
      signal: new AbortController().signal,
      params: undefined,
      query: undefined,
      headers: undefined,
      body: undefined,
    })) as unknown as { status: number; body: { upstreams: UpstreamStatus[] } };
    await outbound.close();
    expect(answer.status).toBe(200);
    expect(answer.body.upstreams.map((u) => [u.name, u.outcome])).toEqual([["sync-api", "ok"]]);
  });
});

describe("a production start warns about upstream URLs still pointing at this machine", () => {
  afterAll(stopAll);
  const production = {
    NODE_ENV: "production",
    ASYNC_API_SECRET_KEY: "s".repeat(32),
    ASYNC_API_AUTH__JWT_SECRET: "j".repeat(32),
  };

  it("a loopback URL from a layer in the code is named with its source; one a variable set is not", () => {
    const warnings = (env: Record<string, string>) =>
      loopbackUpstreamWarnings(asyncApiSettings.resolve({ ...production, ...env }));
    const weather = { weather: { url: "http://127.0.0.1:4000", statusPath: "/" } };
    expect(warnings({})).toEqual([
      "upstreams.sync-api.url is http://127.0.0.1:3001 (from async-api), a loopback address, under production: set the URL this deployment calls in ASYNC_API_UPSTREAMS",
    ]);
    // Chosen by the deployment: sync-api beside it (pnpm start), or named in ASYNC_API_UPSTREAMS.
    expect(warnings({ SYNC_API_PORT: "3001" })).toEqual([]);
    expect(
      warnings({ ASYNC_API_UPSTREAMS: JSON.stringify({ "sync-api": { url: "http://localhost:3001" }, ...weather }) }),
    ).toEqual([]);
    expect(warnings({ ASYNC_API_UPSTREAMS: JSON.stringify({ "sync-api": { url: "http://sync-api:3001" } }) })).toEqual(
      [],
    );
  });

  it("the warning is in the log of a production start", async () => {
    const port = await freePort();
    const app = startApp("async-api", { env: { ...production, ASYNC_API_PORT: String(port) } });
    await waitForHttp(`http://127.0.0.1:${port}${ASYNC_PREFIX}/healthz`, { abortIf: app.exitReason });
    // Log lines are batched, reaching stdout within 100 ms: wait for it rather than read at once.
    const warning = await waitFor("the warning", async () =>
      logLines(app).find((line) => String(line.msg).includes("upstreams.sync-api.url is http://127.0.0.1:3001")),
    );
    expect(warning).toMatchObject({ level: 40 });
  });
});
