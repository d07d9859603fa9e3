/** Which limit is in force on a route: its contract's, a controller's, or its settings'. */
import { describe, expect, it } from "vitest";
import {
  controller,
  type EndpointContract,
  rateLimited,
  rateLimitOf,
  routeKey,
  status,
  syncHealth,
} from "../src/index.ts";

const on = { enabled: true, routes: {} };

describe("rate limits in the contracts", () => {
  it("names a route by method and public path, the async prefix included", () => {
    expect(routeKey({ method: "PATCH", path: "/orders/:id" })).toBe("PATCH /orders/:id");
    expect(routeKey(status.endpoints.status, "/async")).toBe("GET /async/status");
  });

  it("takes the contract's limit unless the settings replace it, turn it off, or turn all off", () => {
    const limited = status.endpoints.status as EndpointContract;
    const key = "GET /async/status";
    expect(rateLimitOf(limited, key, on)).toEqual({ limit: 30, windowMs: 60_000 });
    const replaced = { limit: 3, windowMs: 1_000 };
    expect(rateLimitOf(limited, key, { enabled: true, routes: { [key]: replaced } })).toEqual(replaced);
    expect(rateLimitOf(limited, key, { enabled: true, routes: { [key]: false } })).toBeUndefined();
    expect(rateLimitOf(limited, key, { enabled: false, routes: {} })).toBeUndefined();
    // A route that declares none is limited only by its settings.
    const health = syncHealth.endpoints.health as EndpointContract;
    const overridden = { enabled: true, routes: { "GET /healthz": replaced } };
    expect(rateLimitOf(health, "GET /healthz", on)).toBeUndefined();
    expect(rateLimitOf(health, "GET /healthz", overridden)).toEqual(replaced);
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
