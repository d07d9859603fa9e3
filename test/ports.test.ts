/**
 * Ports follow the variables a user sets, and a port that cannot be had is one line naming the
 * variable that moves it. (A moved SYNC_API_PORT followed by async-api is proved by every test
 * of the dev stack, which no longer tells async-api where sync-api is: startDevStack.)
 */
import { createServer, type Server } from "node:net";
import { type AppName, freePort, startApp, stopAll } from "@repo/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { sharedStacks } from "./support/shared-stacks.ts";

let blocker: Server | undefined;
afterEach(async () => {
  await stopAll();
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
});
afterAll(stopAll);

/** A port another process holds, as an earlier `pnpm dev` still running would. */
async function busyPort(): Promise<number> {
  const port = await freePort();
  blocker = createServer();
  await new Promise<void>((resolve) => blocker?.listen(port, "127.0.0.1", resolve));
  return port;
}

describe("a busy port", () => {
  it.each<[AppName, string]>([
    ["sync-api", "SYNC_API_PORT"],
    ["async-api", "ASYNC_API_PORT"],
    ["dev-proxy", "PORT"],
    ["combined", "PORT"],
  ])("%s says so in one line naming %s, and exits 1", async (name, variable) => {
    const port = await busyPort();
    const app = startApp(name, { env: { [variable]: String(port), SYNC_API_WORKERS: "1" } });
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    const output = app.output();
    expect(output).toContain(`cannot listen on 127.0.0.1:${port}: another process is listening there`);
    expect(output).toContain(`move this app with ${variable}`);
    // The line says it all: no error object with Node's stack after it.
    expect(output).not.toMatch(/\n\s+at \S+ \(node:/);
  });
});

describe("moved ports", () => {
  it("async-api's sync-api upstream follows SYNC_API_PORT: /async/status reaches the moved sync-api", async () => {
    // The shared dev stack runs each app on a free port, none of them the default.
    const stack = sharedStacks().dev;
    expect(new URL(stack.syncUrl).port).not.toBe("3001");
    const response = await fetch(`${stack.url}${stack.asyncPrefix}/status`);
    const body = (await response.json()) as { upstreams: { name: string; outcome: string }[] };
    expect(response.status).toBe(200);
    expect(body.upstreams).toEqual([expect.objectContaining({ name: "sync-api", outcome: "ok" })]);
  });
});
