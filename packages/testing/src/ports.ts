import { createServer } from "node:net";

/**
 * Where a test runner's parallel workers take their ports: a block of its own for each worker
 * (Vitest's VITEST_POOL_ID, Playwright's TEST_PARALLEL_INDEX) of each run (`pnpm test` runs two
 * Vitest runs at once, each with workers 1 and 2: REPO_TESTING_PORTS, which vitest.config.ts sets,
 * tells them apart), so that two test files running at once never hand out the same port between
 * one's check and its app's bind; and below Linux's ephemeral range (32768 up), where no outgoing
 * connection takes one meanwhile.
 */
const FIRST_PORT = 20_000;
const BLOCK_SIZE = 200;
const BLOCKS = 60;
/** Blocks per run: its workers' ids. */
const WORKERS_PER_RUN = 4;
/** The runs `pnpm test` may run side by side, each with blocks of its own; any other shares by hash. */
const RUNS = [
  "workspace",
  "template",
  "sync-api",
  "async-api",
  "combined",
  "contracts",
  "shared-settings",
  "dev-proxy",
  "bench",
  "prefix",
  "e2e",
  "postgres",
  // The copies of the project test/template's files test in (test/support/project-copy.ts).
  "copy-template-copy",
  "copy-no-examples",
  "copy-generators",
];
const worker = process.env.VITEST_POOL_ID ?? process.env.TEST_PARALLEL_INDEX;
const run = process.env.REPO_TESTING_PORTS ?? (process.env.TEST_PARALLEL_INDEX === undefined ? "" : "e2e");
const runIndex = RUNS.includes(run) ? RUNS.indexOf(run) : [...run].reduce((sum, c) => sum + c.charCodeAt(0), 0);
const block =
  worker === undefined ? undefined : (runIndex * WORKERS_PER_RUN + (Number(worker) % WORKERS_PER_RUN)) % BLOCKS;
/** Where this process starts in its block: anywhere, so that the next file in the slot starts elsewhere. */
let next = Math.floor(Math.random() * BLOCK_SIZE);

/** A TCP port that was free on 127.0.0.1 a moment ago, from this worker's block when it has one. */
export async function freePort(): Promise<number> {
  if (block !== undefined && Number.isInteger(block)) {
    for (let tries = 0; tries < BLOCK_SIZE; tries++) {
      const port = FIRST_PORT + block * BLOCK_SIZE + (next++ % BLOCK_SIZE);
      if ((await listenOnce(port)) !== undefined) return port;
    }
  }
  const port = await listenOnce(0);
  if (port === undefined) throw new Error("no free port on 127.0.0.1");
  return port;
}

/** Listens on `port` (0: the OS picks) and releases it: the port, or undefined if it was taken. */
function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(address && typeof address === "object" ? address.port : undefined));
    });
  });
}
