import { asyncHealth, type Controller, syncHealth } from "@repo/contracts";
import express from "express";
import { describe, expect, it } from "vitest";
import { mountSyncRoute } from "../src/http/mount.ts";
import type { SyncRoute } from "../src/http/route.ts";
import { routeTables } from "../src/routes/index.ts";

// Mistakes the compiler catches, made here through casts, as JavaScript or `any` would make them.
function routeOf(controller: Controller, handlers: Record<string, unknown>): SyncRoute {
  return { controller, handlers } as unknown as SyncRoute;
}

describe("mounting the sync route table", () => {
  it.each(Object.entries(routeTables))("mounts route table %s: sync controllers only", (_name, routes) => {
    expect(routes.map((r) => r.controller.runtime)).toEqual(routes.map(() => "sync"));
    expect(() => {
      for (const r of routes) mountSyncRoute(express.Router(), r);
    }).not.toThrow();
  });

  it("refuses an async handler at start-up, naming it", () => {
    const route = routeOf(syncHealth, { health: async () => ({ status: 200, body: {} }) });
    expect(() => mountSyncRoute(express.Router(), route)).toThrow(
      "syncHealth.health is an async function; sync-api handlers must be synchronous",
    );
  });

  it("refuses an async controller, naming it", () => {
    const route = routeOf(asyncHealth, { health: () => ({ status: 200, body: {} }) });
    expect(() => mountSyncRoute(express.Router(), route)).toThrow(
      "sync-api only serves sync controllers; asyncHealth is async",
    );
  });

  it("refuses a controller with an endpoint left without a handler", () => {
    expect(() => mountSyncRoute(express.Router(), routeOf(syncHealth, {}))).toThrow("syncHealth.health has no handler");
  });
});
