import { asyncHealth, type Controller, syncHealth } from "@repo/contracts";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { mountRouteTable } from "../src/http/mount.ts";
import type { AsyncRoute } from "../src/http/route.ts";
import { routeTables } from "../src/routes/index.ts";

// Mistakes the compiler catches, made here through casts, as JavaScript or `any` would make them.
function routeOf(controller: Controller, handlers: Record<string, unknown>): AsyncRoute {
  return { controller, handlers } as unknown as AsyncRoute;
}

describe("mounting the async route table", () => {
  it.each(Object.entries(routeTables))("mounts route table %s: async controllers only", (_name, routes) => {
    expect(routes.map((r) => r.controller.runtime)).toEqual(routes.map(() => "async"));
    const app = Fastify();
    expect(() => {
      mountRouteTable(app, routes, { responseValidation: true });
    }).not.toThrow();
  });

  it("refuses a handler that is not an async function, naming it", () => {
    const route = routeOf(asyncHealth, { health: () => ({ status: 200, body: {} }) });
    expect(() => mountRouteTable(Fastify(), [route], { responseValidation: true })).toThrow(
      "asyncHealth.health is not an async function; async-api handlers must be async",
    );
  });

  it("refuses a sync controller, naming it", () => {
    const route = routeOf(syncHealth, { health: async () => ({ status: 200, body: {} }) });
    expect(() => mountRouteTable(Fastify(), [route], { responseValidation: true })).toThrow(
      "async-api only serves async controllers; syncHealth is sync",
    );
  });
});
