/**
 * The e2e suite's second target: the production topology without Docker (production builds
 * started as their images start them, Debian's nginx with the infra template in front), on
 * E2E_PROXY_PORT until Playwright stops it.
 */
import { startProductionStack } from "@repo/testing";

const stack = await startProductionStack({ proxyPort: Number(process.env.E2E_PROXY_PORT) });
process.stdout.write(`production stack behind nginx at ${stack.url}\n`);
const stop = () => void stack.stop().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
