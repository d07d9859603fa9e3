/**
 * Deployment-wide keys (docs/settings.md, "Deployment-wide settings"): the async prefix is set by
 * ASYNC_PREFIX alone, read by every app's stack, so two apps can never resolve different values.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_ASYNC_PREFIX,
  defineSettings,
  dotenvFiles,
  envVars,
  layer,
  resolveAsyncPrefix,
  sharedLayers,
  sharedSchema,
} from "../src/index.ts";

const appStack = (app: string, envPrefix: string, own: Record<string, unknown> = {}, dir?: string) =>
  defineSettings({
    app,
    envPrefix,
    schema: sharedSchema,
    layers: [
      ...sharedLayers(),
      layer(app, { port: 3999, secretKey: "a-demo-secret-key-of-at-least-32-characters", ...own }),
      ...(dir ? [dotenvFiles(dir)] : []),
      envVars(),
    ],
  });
const syncApp = appStack("sync-app", "SYNC_APP_");
const asyncApp = appStack("async-app", "ASYNC_APP_");

const problemsOf = (stack: ReturnType<typeof appStack>, env: Record<string, string>) => {
  const resolution = stack.resolve(env);
  return resolution.ok ? [] : resolution.problems;
};

describe("the async prefix, one for the deployment", () => {
  it("is the default, or ASYNC_PREFIX, the same in every app's stack", () => {
    for (const env of [{}, { ASYNC_PREFIX: "/aio" }]) {
      const expected = resolveAsyncPrefix(env);
      expect(syncApp.load(env).asyncPrefix).toBe(expected);
      expect(asyncApp.load(env).asyncPrefix).toBe(expected);
    }
    expect(resolveAsyncPrefix({})).toBe(DEFAULT_ASYNC_PREFIX);
    const resolution = syncApp.resolve({ ASYNC_PREFIX: "/aio" });
    expect(resolution.ok && resolution.sources.get("asyncPrefix")).toBe("env ASYNC_PREFIX");
  });

  it("refuses an app's prefixed variable, naming ASYNC_PREFIX", () => {
    expect(problemsOf(syncApp, { SYNC_APP_ASYNC_PREFIX: "/x" })).toEqual([
      {
        key: "asyncPrefix",
        source: "env SYNC_APP_ASYNC_PREFIX",
        message:
          "one value for the whole deployment, so the apps and proxies cannot disagree: set ASYNC_PREFIX instead",
      },
    ]);
  });

  it("refuses it from an app's own layer (its settings.local.json, say)", () => {
    const withFile = appStack("sync-app", "SYNC_APP_", { asyncPrefix: "/x" });
    expect(problemsOf(withFile, {})).toMatchObject([{ key: "asyncPrefix", source: "sync-app" }]);
  });

  it("refuses ASYNC_PREFIX in an app's .env file: it is read from the process environment only", () => {
    const dir = mkdtempSync(join(tmpdir(), "deployment-wide-"));
    writeFileSync(join(dir, ".env"), "ASYNC_PREFIX=/x\n");
    expect(problemsOf(appStack("sync-app", "SYNC_APP_", {}, dir), {})).toMatchObject([
      { key: "asyncPrefix", source: ".env ASYNC_PREFIX", message: expect.stringContaining("process environment only") },
    ]);
  });

  it("refuses a bad ASYNC_PREFIX in every part, naming the variable", () => {
    expect(problemsOf(asyncApp, { ASYNC_PREFIX: "aio/" })).toMatchObject([
      { key: "asyncPrefix", source: "env ASYNC_PREFIX" },
    ]);
    expect(() => resolveAsyncPrefix({ ASYNC_PREFIX: "aio/" })).toThrow(/^ASYNC_PREFIX: a path such as \/async/);
  });
});
