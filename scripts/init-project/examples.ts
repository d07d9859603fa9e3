/**
 * What belongs to the template's examples (the notes resource, the SSE relay, the WebSocket
 * channel, the welcome page that shows them), so that `pnpm init-project <name> --no-examples`
 * can remove them. Two kinds:
 *
 * - the files and folders below, which belong to the examples only, removed whole;
 * - inside shared files, the lines marked as the examples' (markers.ts), removed line by line.
 *
 * Adding example code: put it in a file of its own listed here, or mark it in the shared file.
 * test/examples.test.ts fails on example code found anywhere else.
 */

/** Files and folders (ending in "/") that belong to the examples only. */
export const EXAMPLE_PATHS: readonly string[] = [
  // The contracts: the notes resource, the SSE stream and the WebSocket channel.
  "packages/contracts/src/notes.ts",
  "packages/contracts/src/streams.ts",
  // sync-api: the notes store and its routes; the welcome page.
  "apps/sync-api/src/notes/",
  "apps/sync-api/src/migrations/0001-notes.ts",
  "apps/sync-api/src/migrations/0002-note-events.ts",
  "apps/sync-api/src/routes/notes.ts",
  "apps/sync-api/src/http/welcome.ts",
  "apps/sync-api/test/notes.test.ts",
  "apps/sync-api/test/notes-writers.test.ts",
  "apps/sync-api/test/welcome.test.ts",
  // async-api: the relay, SSE and WebSocket.
  "apps/async-api/src/streams/",
  "apps/async-api/test/streams.test.ts",
  "apps/async-api/test/streams-postgres.test.ts",
  "apps/async-api/test/notes-apps.ts",
  // combined mode: the relay fed in-process.
  "apps/combined/src/examples.ts",
  "apps/combined/test/notes-relay.test.ts",
  // Combined mode on PostgreSQL through the notes routes (database-bridge.test.ts, kept, needs none).
  "apps/combined/test/postgres.test.ts",
  // The test helpers and tests that exist for the examples.
  "test/faults/database.test.ts",
  "test/faults/notes.ts",
  "test/faults/outbox.ts",
  "test/faults/slow-readers.test.ts",
  "test/faults/stream-backlog.test.ts",
  "test/properties/notes.ts",
  "test/support/note-streams.ts",
  "test/stream-edges.test.ts",
  // One URL per resource: its cases are the notes' ids, and a query key on each example endpoint.
  "test/closed-query.test.ts",
  "e2e/tests/streams.spec.ts",
  "e2e/tests/welcome.spec.ts",
  // The tests of the examples' markers and of their removal: nothing is left for them to check.
  "test/examples.test.ts",
  "test/no-examples.test.ts",
  // The benchmarks' notes traffic, hand-written twins, and the notes routes on each database.
  "bench/src/lib/notes.ts",
  "bench/src/lib/stream-probes.ts",
  "bench/src/scenarios/postgres.ts",
  "bench/src/targets/express-notes.ts",
  "bench/src/targets/express-notes-pg.ts",
  "bench/src/targets/notes-twin.ts",
  // This page describes the examples and how to remove them: once they are gone, nothing is left
  // to describe.
  "docs/removing-examples.md",
];

/**
 * In JSON files, which have no comments to mark lines with: the keys that belong to the examples,
 * by file, each as its path of keys (a dependency only the examples use, a package export of an
 * example module).
 */
export const EXAMPLE_JSON_KEYS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  "apps/async-api/package.json": [
    ["dependencies", "@fastify/websocket"],
    // The note-events relay's LISTEN is its only use of PostgreSQL's driver.
    ["dependencies", "pg"],
    ["devDependencies", "@types/pg"],
    ["devDependencies", "@types/ws"],
    ["devDependencies", "ws"],
  ],
  "apps/sync-api/package.json": [["exports", "./welcome"]],
};

/**
 * The examples' names as they appear in code and docs: what must not be left anywhere once they
 * are removed (test/examples.test.ts checks a removed copy).
 */
export const EXAMPLE_IDENTIFIERS =
  /\bnotes?\b|\bNotes?[A-Z]\w*|\bnote-events\b|noteEvents|\/events\/notes|socketChannel|Socket(?:Client|Server)Message|\bwelcome|(?<!@types)\/ws\b/i;

/**
 * Files that may keep the examples' names after the removal: the removal itself, the lockfile
 * (package names only), and the records of what was measured or decided with the examples in
 * place (benchmark results, decision records), which stay true as history.
 */
export function keepsExampleNames(path: string): boolean {
  return (
    path.startsWith("scripts/init-project") ||
    path === "pnpm-lock.yaml" ||
    path.startsWith("docs/benchmarks/") ||
    path.startsWith("docs/decisions/")
  );
}

/** Whether `path` (relative, "/"-separated) is one of the example paths or inside one. */
export function isExamplePath(path: string): boolean {
  return EXAMPLE_PATHS.some((entry) => (entry.endsWith("/") ? path.startsWith(entry) : path === entry));
}
