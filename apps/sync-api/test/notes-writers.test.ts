/** Concurrent SQLite writes from several workers, through the notes resource. */
import { createClient, NOTES_WRITE_SCOPE, notes, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import { logLines, stopAll } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startSyncApi } from "./support.ts";

afterEach(stopAll);

describe("several workers writing notes at once", () => {
  it("keeps every write and lets no SQLITE_BUSY reach a client", async () => {
    const { app, url } = await startSyncApi(3, { SYNC_API_LOG__LEVEL: "info" });
    const token = await signToken(developmentAuth, { subject: "writer", scopes: [NOTES_WRITE_SCOPE], ttlS: 600 });
    const api = createClient({ baseUrl: url, token }).controller(notes);
    const total = 300;
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        while (next < total) {
          const i = next++;
          const created = await api.create({ body: { title: `concurrent ${i}`, body: "x".repeat(200) } });
          statuses.push(created.status);
        }
      }),
    );
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    expect(statuses).toHaveLength(total);

    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await api.list({ query: { limit: 100, ...(cursor ? { cursor } : {}) } });
      count += page.body.items.length;
      cursor = page.body.next ?? undefined;
    } while (cursor);
    expect(count).toBe(total);

    // The writes really came from several processes.
    const writers = new Set(
      logLines(app)
        .filter((l) => l.msg === "request completed" && (l.req as { method?: string } | undefined)?.method === "POST")
        .map((l) => l.pid),
    );
    expect(writers.size).toBeGreaterThan(1);
    expect(app.output()).not.toContain("SQLITE_BUSY");
  });
});
