import type { AsyncHandlers, Controller } from "@repo/contracts";

/** One entry of the async route table: an async controller and the handlers that implement it. */
export interface AsyncRoute<C extends Controller<"async"> = Controller<"async">> {
  /** The controller, with its type kept: the route table's compile-time check names it. */
  readonly controller: C;
  readonly handlers: AsyncHandlers<Controller<"async">>;
}

/** Pairs a controller with its handlers; the compiler checks every endpoint has an async handler. */
export function route<C extends Controller<"async">>(
  controller: C,
  handlers: NoInfer<AsyncHandlers<C>>,
): AsyncRoute<C> {
  return { controller, handlers: handlers as unknown as AsyncRoute["handlers"] };
}
