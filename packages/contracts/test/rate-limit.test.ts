/** Which limit is in force on a route: its contract's, a controller's, or its settings'. */
import { describe, expect, it } from "vitest";
import { controller, type EndpointContract, notes, rateLimited, rateLimitOf, routeKey, status } from "../src/index.ts";

const on = { enabled: true, routes: {} };

describe("rate limits in the contracts", () => {
  it("names a route by method and public path, the async prefix included", () => {
    expect(routeKey(notes.endpoints.create)).toBe("POST /notes");
    expect(routeKey(notes.endpoints.update)).toBe("PATCH /notes/:id");
    expect(routeKey(status.endpoints.status, "/async")).toBe("GET /async/status");
  });

  it("takes the contract's limit unless the settings replace it, turn it off, or turn all off", () => {
    const create = notes.endpoints.create as EndpointContract;
    expect(rateLimitOf(create, "POST /notes", on)).toEqual({ limit: 60, windowMs: 60_000 });
    const replaced = { limit: 3, windowMs: 1_000 };
    expect(rateLimitOf(create, "POST /notes", { enabled: true, routes: { "POST /notes": replaced } })).toEqual(
      replaced,
    );
    expect(rateLimitOf(create, "POST /notes", { enabled: true, routes: { "POST /notes": false } })).toBeUndefined();
    expect(rateLimitOf(create, "POST /notes", { enabled: false, routes: {} })).toBeUndefined();
    // A route that declares none is limited only by its settings.
    const list = notes.endpoints.list as EndpointContract;
    expect(rateLimitOf(list, "GET /notes", on)).toBeUndefined();
    expect(rateLimitOf(list, "GET /notes", { enabled: true, routes: { "GET /notes": replaced } })).toEqual(replaced);
  });

  it("gives every endpoint of a controller one limit with rateLimited; an endpoint's own wins", () => {
    const own = { limit: 1, windowMs: 1_000 };
    const reports = controller(
      "reports",
      "sync",
      rateLimited(
        { limit: 10, windowMs: 60_000 },
        {
          list: { method: "GET", path: "/reports", summary: "List", responses: {} },
          make: { method: "POST", path: "/reports", summary: "Make", responses: {}, rateLimit: own },
        },
      ),
    );
    expect(reports.endpoints.list.rateLimit).toEqual({ limit: 10, windowMs: 60_000 });
    expect(reports.endpoints.make.rateLimit).toEqual(own);
  });
});
