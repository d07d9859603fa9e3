import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const implementation = fileURLToPath(new URL("../src/implementation.ts", import.meta.url));

/** Runs `body` in a Node of its own (a clean heap, flags a test worker cannot set); prints what it writes. */
function run(body: string): string {
  const script = `const { handlerRequest } = await import(${JSON.stringify(implementation)});\n${body}`;
  return execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
}

describe("a handler's request", () => {
  it("lets its response die young: 200,000 requests promote less than 1 MB to the old generation", () => {
    // An object literal with a \`get signal()\` kept each request's response alive past two
    // young-generation collections (V8 promoted 6–77 MB of them here, 12 MB per scavenge under load),
    // so they died only at the next full GC, the largest cost async-api added to Fastify.
    const out = run(`
      const { GCProfiler } = await import("node:v8");
      const parts = { params: {}, query: {}, headers: undefined, body: undefined };
      const response = (i) => ({ once() {}, writableFinished: false, closed: false, data: new Array(64).fill(i) });
      let ids = 0;
      for (let i = 0; i < 20000; i++) ids += handlerRequest("warm", parts, response(i)).id.length;
      const profiler = new GCProfiler();
      profiler.start();
      for (let i = 0; i < 200000; i++) {
        ids += handlerRequest("x", parts, response(i)).id.length;
        // As a server does: back to the event loop now and then.
        if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      // What each young-generation collection moved to the old generation.
      const old = (spaces) => spaces.find((space) => space.spaceName === "old_space").spaceUsedSize;
      const promoted = profiler.stop().statistics
        .filter((gc) => gc.gcType === "Scavenge")
        .reduce((sum, gc) => sum + old(gc.afterGC.heapSpaceStatistics) - old(gc.beforeGC.heapSpaceStatistics), 0);
      process.stdout.write(String(promoted / 1e6));
    `);
    expect(Number(out)).toBeLessThan(1);
  });

  it("makes its signal on first read, aborted when the client has gone", () => {
    const out = run(`
      const parts = { params: {}, query: {}, headers: undefined, body: undefined };
      const gone = handlerRequest("a", parts, { once() {}, writableFinished: false, closed: true });
      const here = handlerRequest("b", parts, { once() {}, writableFinished: false, closed: false });
      process.stdout.write(JSON.stringify([gone.signal.aborted, here.signal.aborted, here.signal === here.signal]));
    `);
    expect(JSON.parse(out)).toEqual([true, false, true]);
  });
});
