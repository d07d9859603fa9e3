/** The SQLite counter itself, on real files, with a clock the test moves (no waiting). */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { HttpProblem } from "@repo/contracts";
import type { Options } from "express-rate-limit";
import { describe, expect, it } from "vitest";
import { openRateLimitDatabase, SqliteRateLimitCounter } from "../src/http/rate-limit-store.ts";

const scratch = () => join(mkdtempSync(join(tmpdir(), "rate-limit-store-")), "rate-limit.sqlite");

function storeOn(db: DatabaseSync, route: string, clock: { now: number }, windowMs = 60_000) {
  const store = new SqliteRateLimitCounter(db, () => clock.now).store(route);
  store.init?.({ windowMs } as Options);
  return store;
}

describe("the SQLite rate-limit counter", () => {
  it("counts one fixed window across connections (as workers do), and starts again when it ends", async () => {
    const path = scratch();
    const clock = { now: 1_000_000 };
    const one = storeOn(openRateLimitDatabase(path, { busyTimeoutMs: 1_000 }), "POST /x", clock);
    const two = storeOn(openRateLimitDatabase(path, { busyTimeoutMs: 1_000 }), "POST /x", clock);
    expect(await one.increment("1.2.3.4")).toEqual({ totalHits: 1, resetTime: new Date(1_060_000) });
    clock.now += 59_999;
    expect(await two.increment("1.2.3.4")).toEqual({ totalHits: 2, resetTime: new Date(1_060_000) });
    // Another client, another route: counted apart.
    expect((await two.increment("5.6.7.8")).totalHits).toBe(1);
    expect((await storeOn(new DatabaseSync(path), "GET /y", clock).increment("1.2.3.4")).totalHits).toBe(1);
    clock.now += 1;
    expect(await one.increment("1.2.3.4")).toEqual({ totalHits: 1, resetTime: new Date(1_120_000) });
    await two.decrement("1.2.3.4");
    expect(await one.get?.("1.2.3.4")).toEqual({ totalHits: 0, resetTime: new Date(1_120_000) });
  });

  it("answers a 503 problem, not a crash, when its file cannot be written", () => {
    const path = scratch();
    openRateLimitDatabase(path, { busyTimeoutMs: 0 }).close();
    const store = storeOn(new DatabaseSync(path, { readOnly: true }), "POST /x", { now: 0 });
    let thrown: unknown;
    try {
      store.increment("1.2.3.4");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HttpProblem);
    expect((thrown as HttpProblem).body).toMatchObject({
      status: 503,
      detail: expect.stringContaining("rate-limit store"),
    });
    expect((thrown as HttpProblem).headers).toEqual({ "retry-after": "5" });
  });
});
