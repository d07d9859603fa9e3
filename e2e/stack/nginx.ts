/**
 * The e2e suite's second target: the production topology without Docker (production builds
 * started as their images start them, Debian's nginx with the infra template in front), on
 * E2E_PROXY_PORT until Playwright stops it. Whatever happens (a start-up that fails, a signal
 * while starting, a stop that hangs), nothing it started outlives it.
 */
import { type ProductionStack, startProductionStack, stopAll } from "@repo/testing";

let stack: ProductionStack | undefined;
let stopping = false;
const stop = (code: number) => {
  if (stopping) return;
  stopping = true;
  // A graceful stop when the stack is up, bounded; then SIGKILL to anything left of it.
  const graceful = stack ? stack.stop() : Promise.resolve();
  const bound = new Promise((resolve) => setTimeout(resolve, 20_000).unref());
  void Promise.race([graceful, bound])
    .catch(() => {})
    .then(() => stopAll())
    .finally(() => process.exit(code));
};
process.on("SIGTERM", () => stop(0));
process.on("SIGINT", () => stop(0));

try {
  stack = await startProductionStack({ proxyPort: Number(process.env.E2E_PROXY_PORT) });
  process.stdout.write(`production stack behind nginx at ${stack.url}\n`);
} catch (error) {
  process.stderr.write(`the production stack did not start: ${String(error)}\n`);
  stop(1);
}
