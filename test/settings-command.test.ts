/** `pnpm settings <app>`: the resolved settings with their sources, secrets redacted. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProcess, stopAll } from "@repo/testing";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "settings-command-"));
afterAll(async () => {
  // A run that hung past its test's timeout is stopped too.
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

async function settings(args: string[], env: Record<string, string> = {}) {
  const run = startProcess("pnpm", ["--silent", "settings", ...args], { env: { NODE_ENV: "development", ...env } });
  const exit = await run.exited;
  return { code: exit.code, output: run.output() };
}

describe("pnpm settings", () => {
  it("prints each value of sync-api with the layer it came from", async () => {
    const { code, output } = await settings(["sync-api"]);
    expect(code).toBe(0);
    expect(output).toContain("sync-api settings (NODE_ENV=development)");
    expect(output).toMatch(/layers, first to last: shared\/server → .* → sync-api → sync-api\/development/);
    expect(output).toMatch(/^port\s+3001\s+sync-api$/m);
    expect(output).toMatch(/^host\s+"127\.0\.0\.1"\s+shared\/server$/m);
    expect(output).toMatch(/^log\.level\s+"info"\s+shared\/development$/m);
  });

  it("shows a value from the environment as coming from its variable", async () => {
    const { output } = await settings(["sync-api"], { SYNC_API_PORT: "4000" });
    expect(output).toMatch(/^port\s+4000\s+env SYNC_API_PORT$/m);
  });

  it("redacts a secret read from a _FILE variable, and names the variable", async () => {
    const path = join(dir, "key");
    writeFileSync(path, "command-secret-0123456789abcdefghijklmnop");
    const { code, output } = await settings(["async-api"], {
      NODE_ENV: "production",
      ASYNC_API_SECRET_KEY_FILE: path,
      ASYNC_API_AUTH__JWT_SECRET_FILE: path,
    });
    expect(code).toBe(0);
    expect(output).toMatch(/^secretKey\s+"\[redacted\]"\s+env ASYNC_API_SECRET_KEY_FILE$/m);
    expect(output).toMatch(/^auth\.jwtSecret\s+"\[redacted\]"\s+env ASYNC_API_AUTH__JWT_SECRET_FILE$/m);
    expect(output).not.toContain("command-secret");
  });

  it("prints JSON with --json", async () => {
    const { output } = await settings(["dev-proxy", "--json"], { PORT: "9000" });
    const parsed = JSON.parse(output) as { app: string; settings: { key: string; value: unknown; source: string }[] };
    expect(parsed.app).toBe("dev-proxy");
    expect(parsed.settings).toContainEqual({ key: "port", value: 9000, source: "env PORT" });
  });

  it("exits 1 with the problem report when the settings are invalid", async () => {
    const { code, output } = await settings(["sync-api"], { SYNC_API_WORKERS: "0" });
    expect(code).toBe(1);
    expect(output).toContain("workers (from env SYNC_API_WORKERS): expected integer, >= 1");
  });

  it("names the apps it knows when given another", async () => {
    const { code, output } = await settings(["nope"]);
    expect(code).toBe(2);
    expect(output).toContain("usage: pnpm settings <sync-api|async-api|dev-proxy> [--json]");
  });
});
