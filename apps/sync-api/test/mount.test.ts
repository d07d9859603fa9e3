/**
 * What the compiler refuses in a sync route table, the start-up check refuses too: each mistake
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
import express from "express";
import { describe, expect, it, vi } from "vitest";
import { migrate } from "../src/db/migrate.ts";
import { SqliteDatabase } from "../src/db/sqlite.ts";
import { mountRouteTable } from "../src/http/mount.ts";
import { route } from "../src/http/route.ts";
import { healthRoutes } from "../src/routes/health.ts";
import { routeTables } from "../src/routes/index.ts";
import { syncApiSettings } from "../src/settings/index.ts";

const db = new SqliteDatabase(":memory:", { busyTimeoutMs: 0 });
migrate(db);
const dependencies = {
  settings: syncApiSettings.load({ NODE_ENV: "test" }),
  db,
  lifecycle: { draining: false },
};
const mount = (routes: Parameters<typeof mountRouteTable>[1]) =>
  mountRouteTable(express.Router(), routes, {
    responseValidation: true,
    bodyParser: express.json(),
    authenticate: bearerAuthenticator(developmentAuth),
  });
const ok = { status: 200, body: { status: "ok", runtime: "sync", pid: 1 } } as const;

describe("the sync route tables", () => {
  it.each(Object.entries(routeTables))("%s mounts, with sync controllers only", (_name, table) => {
    const routes = table(dependencies);
    expect(routes.map((r) => r.controller.runtime)).toEqual(routes.map(() => "sync"));
    expect(() => mount(routes)).not.toThrow();
  });

  it("main serves exactly the sync half of the public API (the OpenAPI document)", () => {
    // By name: a failure lists controller names, not a diff of their zod schemas.
    const names = (controllers: readonly { readonly name: string }[]) => controllers.map((c) => c.name);
    expect(names(routeTables.main(dependencies).map((r) => r.controller))).toEqual(names(api.sync));
    const served: ServesExactly<"sync-api", typeof api.sync, ReturnType<typeof routeTables.main>> = true;
    expect(served).toBe(true);
  });

  it("a main table that leaves out a controller of api.sync: a compile error naming it, and at start-up", () => {
    const table = [healthRoutes(dependencies.lifecycle)] as const;
    // @ts-expect-error sync-api's main route table leaves out compute (and any other resource)
    const served: ServesExactly<"sync-api", typeof api.sync, typeof table> = true;
    void served;
    expect(() => servesExactly("sync-api", api.sync, table)).toThrow(
      /^sync-api's main route table leaves out (\w+, )*compute\b/,
    );
  });
});

describe("mistakes refused by the compiler and at start-up", () => {
  it("an async handler in a sync controller", () => {
    // @ts-expect-error a sync controller's handlers return plain values, not Promises
    const routes = [route(syncHealth, { health: async () => ok })];
    expect(() => mount(routes)).toThrow(
      "syncHealth.health is an async function; sync-api handlers must be synchronous",
    );
  });

  it("an async controller in the sync app", () => {
    // @ts-expect-error sync-api serves sync controllers only
    const routes = [route(asyncHealth, { health: async () => ok })];
    expect(() => mount(routes)).toThrow("sync-api only serves sync controllers; asyncHealth is async");
  });

  it("a controller whose handlers mix sync and async", () => {
    const endpoint = { method: "GET", summary: "x", responses: { 200: HealthStatus } } as const;
    const mixed = controller("mixed", "sync", { a: { ...endpoint, path: "/a" }, b: { ...endpoint, path: "/b" } });
    // @ts-expect-error every handler of a sync controller is sync
    const routes = [route(mixed, { a: () => ok, b: async () => ok })];
    expect(() => mount(routes)).toThrow("mixed.b is an async function; sync-api handlers must be synchronous");
  });

  it("an endpoint left without a handler", () => {
    // @ts-expect-error every endpoint needs its handler
    const routes = [route(syncHealth, {})];
    expect(() => mount(routes)).toThrow("syncHealth.health has no handler");
  });

  it("a sync handler reaching for what cannot cross to a pool thread", () => {
    // The same handler runs in a cluster worker and in a combined-mode pool thread: its request is
    // plain data, with no signal (nothing could abort a synchronous call) and no live objects.
    const handler = vi.fn(() => ok);
    const routes = [
      route(syncHealth, {
        // @ts-expect-error a sync handler's request has no `signal`
        health: ({ signal }) => (signal ? ok : handler()),
        ready: (request) => {
          // @ts-expect-error nor the framework's request or response objects
          void request.res;
          return { status: 200, body: { status: "ready", runtime: "sync", pid: 1 } };
        },
      }),
    ];
    expect(() => mount(routes)).not.toThrow();
  });
});
