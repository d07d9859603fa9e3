/**
 * `pnpm bench --quick` runs end to end: every scenario measures something and the report is
 * written. No speed is asserted, ever: only that each figure is a finite positive number.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { postgresMissing } from "@repo/testing"; // #example
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scenarios } from "../src/scenarios/index.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "bench-quick-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Results {
  readonly scenarios: Record<
    string,
    { error?: string; measurements?: { label: string; metric: string; value: number }[] }
  >;
}

/** Runs a command to its end, its output kept for the failure message. */
function run(command: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, output }));
  });
}

describe("pnpm bench --quick", () => {
  // The scenarios start the production builds: build them (and only them) as `pnpm bench` does
  // (combined mode through bench/turbo.json: nothing of the bench imports it).
  beforeAll(() => {
    execFileSync("pnpm", ["build", "--filter=@repo/bench^...", "--filter=@repo/combined"], {
      cwd: root,
      stdio: "ignore",
    });
  }, 300_000);

  it("runs every scenario and writes the Markdown report, one SVG per scenario and results.json", async () => {
    const { code, output } = await run(process.execPath, [
      "--conditions=@repo/source",
      "bench/src/main.ts",
      "--quick",
      "--out",
      out,
    ]);
    expect(code, output).toBe(0);

    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Results;
    expect(Object.keys(results.scenarios)).toEqual(scenarios.map((s) => s.name));
    const markdown = readFileSync(join(out, "README.md"), "utf8");
    for (const [name, scenario] of Object.entries(results.scenarios)) {
      expect(scenario.error, name).toBeUndefined();
      expect(scenario.measurements?.length, name).toBeGreaterThan(0);
      for (const { label, metric, value } of scenario.measurements ?? []) {
        expect(Number.isFinite(value) && value > 0, `${name}: ${label}, ${metric} = ${value}`).toBe(true);
      }
      expect(markdown).toContain(`](${name}.svg)`);
      expect(existsSync(join(out, `${name}.svg`)), name).toBe(true);
      expect(readFileSync(join(out, `${name}.svg`), "utf8")).toMatch(
        /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/,
      );
    }

    // The rows that compare ways of running the API are there, each with its figure.
    const has = (scenario: string, label: RegExp, metric: string) =>
      expect(
        results.scenarios[scenario]?.measurements?.some((m) => label.test(m.label) && m.metric === metric),
        `${scenario}: ${label} ${metric}`,
      ).toBe(true);
    for (const mode of ["split", "combined", "inline"]) {
      for (const probe of [/^GET \/async\/healthz/, /^WebSocket echo round trip/]) {
        has("isolation", new RegExp(`${probe.source}, ${mode}, at rest$`), "p99");
        has("isolation", new RegExp(`${probe.source}, ${mode}, sync side saturated$`), "p99");
        has("isolation", new RegExp(`${probe.source}, ${mode}$`), "saturated p99 ÷ at-rest p99");
      }
      has("isolation", /^SSE heartbeat jitter/, "p99");
      has("isolation", new RegExp(`^sync side under load, ${mode}$`), "CPU-bound requests per second");
    }
    has("isolation", /inline ÷ split$/, "saturated p99 ratio");
    for (const runner of [/^sync-api, 1 worker:/, /^combined, 2 threads:/, /^combined, inline/]) {
      has("combined-cost", runner, "requests per second");
      // CPU time is read from /proc.
      if (process.platform === "linux") has("combined-cost", runner, "server CPU per request");
    }
    has("combined-cost", /^GET \/notes\/:id: combined \(1 thread\) ÷ sync-api \(1 worker\)$/, "throughput ratio"); // #example
    has("combined-cost", /the pool's hop$/, "throughput ratio");
    has("overhead", /^async-api without ÷ with its event-loop guard/, "throughput ratio");
    // #region example
    // The note routes on both databases, and the sync driver against the async twin: PostgreSQL's
    // rows wherever its server is installed (CI installs it; without it the scenario says why).
    for (const route of ["GET /notes/:id", "POST /notes"]) {
      has("postgres", new RegExp(`^${route}: sync-api, 1 worker, SQLite$`), "requests per second");
      has("postgres", new RegExp(`^${route}: sync-api ÷ hand-written, both on SQLite`), "throughput ratio");
      has(
        "postgres",
        new RegExp(`^${route}: combined mode \\(1 thread\\) ÷ sync-api \\(1 worker\\), both on SQLite$`),
        "throughput ratio",
      );
      if (postgresMissing()) continue;
      // Combined mode's threads through the database bridge.
      has(
        "postgres",
        new RegExp(`^${route}: combined mode, 1 thread, PostgreSQL \\(the database bridge`),
        "requests per second",
      );
      has(
        "postgres",
        new RegExp(`^${route}: combined mode \\(1 thread\\) ÷ sync-api \\(1 worker\\), both on PostgreSQL$`),
        "throughput ratio",
      );
      has("postgres", new RegExp(`^${route}: sync-api, 1 worker, PostgreSQL \\(pg-native`), "requests per second");
      has("postgres", new RegExp(`^${route}: hand-written Express, PostgreSQL \\(pg, async`), "requests per second");
      has("postgres", new RegExp(`^${route}: PostgreSQL ÷ SQLite, sync-api with 1 worker$`), "throughput ratio");
      has("postgres", new RegExp(`^${route}: sync pg-native \\(sync-api, 1 worker\\) ÷ async pg`), "throughput ratio");
    }
    // #endregion example
  }, 600_000);
});
