/**
 * The quick start itself: `pnpm dev` brings up both apps and the proxy from source, the proxy's
 * origin serves both health routes, and Ctrl-C (SIGINT to the whole process group, as a terminal
 * sends it) leaves no process behind.
 */
import { HealthStatus } from "@repo/contracts";
import { descendantsOf, freePort, isAlive, startProcess, stopAll, waitFor, waitForHttp } from "@repo/testing";
import { afterAll, describe, expect, it } from "vitest";

afterAll(stopAll);

describe("pnpm dev", () => {
  it("serves both runtimes on one origin and leaves nothing behind on Ctrl-C", async () => {
    const [proxyPort, syncPort, asyncPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const dev = startProcess("pnpm", ["dev"], {
      detached: true,
      env: {
        NODE_ENV: "development",
        PORT: String(proxyPort),
        SYNC_API_PORT: String(syncPort),
        SYNC_API_WORKERS: "2",
        ASYNC_API_PORT: String(asyncPort),
      },
    });
    const origin = `http://localhost:${proxyPort}`;
    const sync = HealthStatus.parse(
      await waitForHttp(`${origin}/healthz`, { timeoutMs: 60_000, abortIf: dev.exitReason }),
    );
    const async = HealthStatus.parse(
      await waitForHttp(`${origin}/async/healthz`, { timeoutMs: 60_000, abortIf: dev.exitReason }),
    );
    expect(sync.runtime).toBe("sync");
    expect(async.runtime).toBe("async");
    expect(dev.output().split(`Open ${origin}`)).toHaveLength(2);

    // Every process pnpm dev started: turbo, the three tasks, the cluster's workers.
    const tree = descendantsOf(dev.pid);
    expect(tree).toContain(sync.pid);
    expect(tree).toContain(async.pid);

    process.kill(-dev.pid, "SIGINT");
    await waitFor("pnpm dev to exit", async () => ((await dev.exited) ? true : undefined), { timeoutMs: 30_000 });
    await waitFor("every process it started to be gone", async () => (tree.some(isAlive) ? undefined : true), {
      timeoutMs: 15_000,
    });
    for (const port of [proxyPort, syncPort, asyncPort]) {
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    }
  });
});
