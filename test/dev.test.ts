/**
 * The quick start itself: `pnpm dev` brings up both apps and the proxy from source, the proxy's
 * origin serves both health routes, the console stays quiet, a save reloads both apps without one
 * failed request, and Ctrl-C (SIGINT to the whole process group, as a terminal sends it) leaves no
 * process behind.
 */
import { globSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { HealthStatus } from "@repo/contracts";
import {
  ASYNC_PREFIX,
  descendantsOf,
  freePort,
  isAlive,
  repoRoot,
  startLoad,
  startProcess,
  stopAll,
  waitFor,
  waitForHttp,
} from "@repo/testing";
import { afterAll, describe, expect, it } from "vitest";
import { startNoteWrites } from "./faults/notes.ts"; // #example
import { validToken } from "./support/tokens.ts"; // #example

afterAll(stopAll);

describe("pnpm dev", () => {
  it("serves both runtimes on one origin, stays quiet, reloads on sources only and drops no request, and leaves nothing behind on Ctrl-C", async () => {
    const [proxyPort, syncPort, asyncPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const dev = startProcess("pnpm", ["dev"], {
      detached: true,
      env: {
        NODE_ENV: "development",
        PORT: String(proxyPort),
        SYNC_API_PORT: String(syncPort),
        SYNC_API_WORKERS: "2",
        ASYNC_API_PORT: String(asyncPort),
        // async-api reads only its own variables: where this run's sync-api listens.
        ASYNC_API_UPSTREAMS: JSON.stringify({
          "sync-api": { url: `http://127.0.0.1:${syncPort}`, statusPath: "/readyz" },
        }),
      },
    });
    const origin = `http://localhost:${proxyPort}`;
    const sync = HealthStatus.parse(
      await waitForHttp(`${origin}/healthz`, { timeoutMs: 60_000, abortIf: dev.exitReason }),
    );
    const async = HealthStatus.parse(
      await waitForHttp(`${origin}${ASYNC_PREFIX}/healthz`, { timeoutMs: 60_000, abortIf: dev.exitReason }),
    );
    expect(sync.runtime).toBe("sync");
    expect(async.runtime).toBe("async");
    // The banner, once, after both apps are up: its URLs are the API reference (and the examples'
    // page at the root).
    const banner = `API reference ${origin}/docs`;
    await waitFor("the banner", async () => (dev.output().includes(banner) ? true : undefined), { timeoutMs: 30_000 });
    expect(dev.output().split(banner)).toHaveLength(2);
    expect(dev.output()).toContain(`Open ${origin}/ `); // #example
    // No warning for an expected start-up race (async-api calling sync-api before it listens).
    expect(dev.output()).not.toMatch(/WARN|unavailable/);

    // Every process pnpm dev started: turbo, the three tasks, the cluster's workers.
    const tree = descendantsOf(dev.pid);
    expect(tree).toContain(sync.pid);
    expect(tree).toContain(async.pid);

    // Idle, it stays quiet: probes and the outbox poll log at debug; the dev level is info. 20 s
    // hold forty of the relay's polls (every 500 ms) and every timer an idle stack runs; the
    // longer ones (SSE heartbeats, WebSocket pings) run only for open streams.
    const linesAtRest = dev.output().split("\n").length;
    await sleep(20_000);
    const idleLines = dev
      .output()
      .split("\n")
      .slice(linesAtRest - 1)
      .filter((line) => line.trim() !== "");
    expect(idleLines.length).toBeLessThanOrEqual(5);

    // The watchers follow the workspace's own sources, not its dependencies.
    for (const file of globSync("node_modules/.pnpm/zod@*/node_modules/zod/**/*.js", { cwd: repoRoot })) {
      touch(join(repoRoot, file));
    }
    // A save restarts both apps while clients keep calling: reads of each app, and writes with a
    // body, none of which may fail (the dev proxy holds requests while an app restarts).
    const reads = startLoad(origin, ["/healthz", `${ASYNC_PREFIX}/healthz`], { clients: 3 });
    // #region example
    const writes = startNoteWrites(origin, await validToken());
    // #endregion example
    await sleep(1_000);
    touch(join(repoRoot, "packages/contracts/src/health.ts"));
    await waitFor("both apps to restart on the source change", async () => {
      const restarts = dev.output().match(/Restarting 'src\/main\.ts'/g) ?? [];
      return restarts.length >= 2 ? restarts : undefined;
    });
    // The new code serves: health answers come from new processes.
    await waitFor("both apps to answer from their new processes", async () => {
      const [syncNow, asyncNow] = await Promise.all([
        fetch(`${origin}/healthz`).then(async (r) => HealthStatus.parse(await r.json())),
        fetch(`${origin}${ASYNC_PREFIX}/healthz`).then(async (r) => HealthStatus.parse(await r.json())),
      ]);
      return syncNow.pid !== sync.pid && asyncNow.pid !== async.pid ? true : undefined;
    });
    await sleep(1_000);
    await reads.stop();
    expect(reads.failures()).toEqual([]);
    expect(reads.outcomes.length).toBeGreaterThan(20);
    // #region example
    const written = await writes.stop();
    expect(written.filter((w) => w.status !== 201)).toEqual([]);
    expect(written.length).toBeGreaterThan(5);
    // #endregion example
    expect(dev.output().match(/Restarting 'src\/main\.ts'/g)).toHaveLength(2);
    // One line each way per app, not a warning per request.
    expect(dev.output()).toMatch(/sync-api is back after \d+ ms/);
    // The reloads warn of nothing. (The event-loop guard's lines aside: it times wall clock, which a
    // loaded test machine stretches past its 100 ms on a restarted app's first requests.)
    const warnings = dev
      .output()
      .split("\n")
      .filter((line) => /WARN|unavailable|not reachable/.test(line) && !line.includes("blocked the event loop"));
    expect(warnings).toEqual([]);

    process.kill(-dev.pid, "SIGINT");
    await waitFor("pnpm dev to exit", async () => ((await dev.exited) ? true : undefined), { timeoutMs: 30_000 });
    await waitFor("every process it started to be gone", async () => (tree.some(isAlive) ? undefined : true), {
      timeoutMs: 15_000,
    });
    for (const port of [proxyPort, syncPort, asyncPort]) {
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    }
  }, 240_000);
});

function touch(file: string): void {
  const now = new Date();
  utimesSync(file, now, now);
}
