/**
 * The e2e suite's fourth target: infra/docker-compose.yml in a real Docker engine, both images
 * built from infra/docker/Dockerfile and the stack brought up as a user does (`docker compose up
 * --build --wait`), its proxy published on E2E_PROXY_PORT, until Playwright stops it (SIGTERM:
 * `docker compose down -v`).
 */
import { startComposeStack } from "@repo/testing";

const startedAt = Date.now();
const stack = await startComposeStack({ port: Number(process.env.E2E_PROXY_PORT) });
process.stderr.write(
  `compose stack ${stack.project} built and up in ${Math.round((Date.now() - startedAt) / 1000)} s at ${stack.url}\n`,
);
// The containers run on their own: this process only waits for Playwright's SIGTERM to take them down.
const alive = setInterval(() => {}, 60_000);
const stop = () => {
  clearInterval(alive);
  void stack.stop().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
