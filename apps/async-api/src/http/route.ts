import type { AsyncHandlers, Controller } from "@repo/contracts";

/** One entry of the async route table: an async controller and the handlers that implement it. */
export interface AsyncRoute {
  readonly controller: Controller<"async">;
  readonly handlers: AsyncHandlers<Controller<"async">>;
}

/** Pairs a controller with its handlers; the compiler checks every endpoint has an async handler. */
export function route<C extends Controller<"async">>(controller: C, handlers: NoInfer<AsyncHandlers<C>>): AsyncRoute {
  return { controller, handlers: handlers as unknown as AsyncRoute["handlers"] };
}
