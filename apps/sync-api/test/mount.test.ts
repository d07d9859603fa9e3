import { asyncHealth, type Controller, syncHealth } from "@repo/contracts";
import express from "express";
import { describe, expect, it } from "vitest";
import { mountRouteTable } from "../src/http/mount.ts";
import type { SyncRoute } from "../src/http/route.ts";
import { migrate, openDatabase } from "../src/notes/database.ts";
import { NotesStore } from "../src/notes/store.ts";
import { routeTables } from "../src/routes/index.ts";
import { syncApiSettings } from "../src/settings/index.ts";

const db = openDatabase(":memory:", { busyTimeoutMs: 0 });
migrate(db);
const dependencies = { settings: syncApiSettings.load({ NODE_ENV: "test" }), notes: new NotesStore(db) };

// Mistakes the compiler catches, made here through casts, as JavaScript or `any` would make them.
function routeOf(controller: Controller, handlers: Record<string, unknown>): SyncRoute {
  return { controller, handlers } as unknown as SyncRoute;
}

describe("mounting the sync route table", () => {
  it.each(Object.entries(routeTables))("mounts route table %s: sync controllers only", (_name, table) => {
    const routes = table(dependencies);
    expect(routes.map((r) => r.controller.runtime)).toEqual(routes.map(() => "sync"));
    expect(() => {
      for (const r of routes) mountRouteTable(express.Router(), [r], { responseValidation: true });
    }).not.toThrow();
  });

  it("refuses an async handler at start-up, naming it", () => {
    const route = routeOf(syncHealth, { health: async () => ({ status: 200, body: {} }) });
    expect(() => mountRouteTable(express.Router(), [route], { responseValidation: true })).toThrow(
      "syncHealth.health is an async function; sync-api handlers must be synchronous",
    );
  });

  it("refuses an async controller, naming it", () => {
    const route = routeOf(asyncHealth, { health: () => ({ status: 200, body: {} }) });
    expect(() => mountRouteTable(express.Router(), [route], { responseValidation: true })).toThrow(
      "sync-api only serves sync controllers; asyncHealth is async",
    );
  });

  it("refuses a controller with an endpoint left without a handler", () => {
    expect(() => mountRouteTable(express.Router(), [routeOf(syncHealth, {})], { responseValidation: true })).toThrow(
      "syncHealth.health has no handler",
    );
  });
});
