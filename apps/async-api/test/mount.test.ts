/**
 * What the compiler refuses in an async route table, the start-up check refuses too: each mistake
 * below is a type error (`pnpm typecheck` fails if one compiles) and stops the app at mount.
 */
import {
  api,
  asyncHealth,
  bearerAuthenticator,
  controller,
  HealthStatus,
  type ServesExactly,
  servesExactly,
  syncHealth,
} from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { EventLoopDelay } from "../src/http/event-loop.ts";
import { asyncEndpoints, mountEndpoints } from "../src/http/mount.ts";
import { type AsyncRoute, route } from "../src/http/route.ts";
import { Lifecycle } from "../src/lifecycle.ts";
import { Outbound } from "../src/outbound/client.ts";
import { healthRoutes } from "../src/routes/health.ts";
import { routeTables } from "../src/routes/index.ts";
import { asyncApiSettings } from "../src/settings/index.ts";

const settings = asyncApiSettings.load({ NODE_ENV: "test" });
const dependencies = {
  settings,
  lifecycle: new Lifecycle(),
  outbound: new Outbound(settings.outbound, settings),
  loop: new EventLoopDelay(settings.eventLoop),
};

const mount = (routes: readonly AsyncRoute[]) =>
  mountEndpoints(Fastify(), asyncEndpoints(routes), {
    responseValidation: true,
    authenticate: bearerAuthenticator(developmentAuth),
  });
const ok = { status: 200, body: { status: "ok", runtime: "async", pid: 1 } } as const;

describe("the async route tables", () => {
  it.each(Object.entries(routeTables))("%s mounts, with async controllers only", (_name, table) => {
    const routes = table(dependencies);
    expect(routes.map((r) => r.controller.runtime)).toEqual(routes.map(() => "async"));
    expect(() => mount(routes)).not.toThrow();
  });

  it("main serves exactly the async half of the public API (the OpenAPI document)", () => {
    // By name: a failure lists controller names, not a diff of their zod schemas.
    const names = (controllers: readonly { readonly name: string }[]) => controllers.map((c) => c.name);
    expect(names(routeTables.main(dependencies).map((r) => r.controller))).toEqual(names(api.async));
    const served: ServesExactly<"async-api", typeof api.async, ReturnType<typeof routeTables.main>> = true;
    expect(served).toBe(true);
  });

  it("a main table that leaves out a controller of api.async: a compile error naming it, and at start-up", () => {
    const table = [healthRoutes(dependencies.lifecycle, dependencies.loop)] as const;
    // @ts-expect-error async-api's main route table leaves out status
    const served: ServesExactly<"async-api", typeof api.async, typeof table> = true;
    void served;
    expect(() => servesExactly("async-api", api.async, table)).toThrow(
      "async-api's main route table leaves out status",
    );
  });
});

describe("mistakes refused by the compiler and at start-up", () => {
  it("a handler that is not async in an async controller", () => {
    // @ts-expect-error an async controller's handlers return Promises
    const routes = [route(asyncHealth, { health: () => ok })];
    expect(() => mount(routes)).toThrow(
      "asyncHealth.health is not an async function; async-api handlers must be async",
    );
  });

  it("a sync controller in the async app", () => {
    // @ts-expect-error async-api serves async controllers only
    const routes = [route(syncHealth, { health: () => ok })];
    expect(() => mount(routes)).toThrow("async-api only serves async controllers; syncHealth is sync");
  });

  it("a controller whose handlers mix sync and async", () => {
    const endpoint = { method: "GET", summary: "x", responses: { 200: HealthStatus } } as const;
    const mixed = controller("mixed", "async", { a: { ...endpoint, path: "/a" }, b: { ...endpoint, path: "/b" } });
    // @ts-expect-error every handler of an async controller is async
    const routes = [route(mixed, { a: async () => ok, b: () => ok })];
    expect(() => mount(routes)).toThrow("mixed.b is not an async function; async-api handlers must be async");
  });
});
