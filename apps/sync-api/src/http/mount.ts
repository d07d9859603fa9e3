import { implementedEndpoints, PROBLEM_CONTENT_TYPE, problem } from "@repo/contracts";
import type { Request, Response, Router } from "express";
import type { SyncRoute } from "./route.ts";

const LOWER = { GET: "get", POST: "post", PUT: "put", PATCH: "patch", DELETE: "delete" } as const;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/**
 * Registers a sync controller's endpoints on an Express router. An `async` handler is refused here,
 * at start-up: sync-api's workers exist to run blocking code, and a Promise would hide that.
 */
export function mountSyncRoute(router: Router, { controller, handlers }: SyncRoute): void {
  for (const { name, endpoint, handler } of implementedEndpoints("sync", controller, handlers)) {
    router[LOWER[endpoint.method]](endpoint.path, (req: Request, res: Response) => {
      const result = handler({ id: String(req.id) }) as { status: number; body: unknown };
      if (isThenable(result)) {
        throw new Error(`${controller.name}.${name} returned a Promise; sync-api handlers must be synchronous`);
      }
      res.status(result.status).json(result.body);
    });
  }
}

export function sendProblem(req: Request, res: Response, status: number, detail?: string): void {
  res
    .status(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem({ status, detail, instance: req.originalUrl, requestId: String(req.id) })));
}
