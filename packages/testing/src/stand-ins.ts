import { existsSync, readdirSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./process.ts";

/**
 * The stand-ins of the services async-api calls: one module per upstream of its `upstreams`
 * setting, named after it (`weather-service.ts`), whose default export answers as that service
 * would (`pnpm turbo gen async-endpoint` writes one with each new upstream). sync-api, the one
 * upstream every stack runs for real, has none.
 */
export const STAND_INS_DIR = join(repoRoot, "apps/async-api/test/stand-ins");

export type StandIn = (req: IncomingMessage, res: ServerResponse) => void;

export interface StandIns {
  /** For `ASYNC_API_UPSTREAMS`: each stand-in's URL under its upstream's name. */
  readonly upstreams: Readonly<Record<string, { readonly url: string }>>;
  close(): Promise<void>;
}

/**
 * Every stand-in, each an HTTP server on a free loopback port: what the suites that start whole
 * stacks (the dev stack, the production stack, so the property and fault suites and e2e) give
 * async-api for its upstreams, so that an endpoint calling one answers as in production rather
 * than 502. A stand-in whose name no upstream has stops the stack's async-api at start-up, its
 * settings naming the key.
 */
export async function startStandIns(dir: string = STAND_INS_DIR): Promise<StandIns> {
  const files = existsSync(dir) ? readdirSync(dir).filter((file) => /^[a-z0-9][a-z0-9-]*\.ts$/.test(file)) : [];
  const servers: Server[] = [];
  const upstreams: Record<string, { url: string }> = {};
  for (const file of files.sort()) {
    const module = (await import(pathToFileURL(join(dir, file)).href)) as { default?: StandIn };
    if (typeof module.default !== "function")
      throw new Error(`${join(dir, file)}: its default export answers requests`);
    const server = createServer(module.default).unref();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    upstreams[file.slice(0, -".ts".length)] = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }
  return {
    upstreams,
    close: async () => {
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}
