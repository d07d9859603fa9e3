import type { Controller, SyncHandlers } from "@repo/contracts";

/** One entry of the sync route table: a sync controller and the handlers that implement it. */
export interface SyncRoute<C extends Controller<"sync"> = Controller<"sync">> {
  /** The controller, with its type kept: the route table's compile-time check names it. */
  readonly controller: C;
  readonly handlers: SyncHandlers<Controller<"sync">>;
}

/** Pairs a controller with its handlers; the compiler checks every endpoint has a sync handler. */
export function route<C extends Controller<"sync">>(controller: C, handlers: NoInfer<SyncHandlers<C>>): SyncRoute<C> {
  return { controller, handlers: handlers as unknown as SyncRoute["handlers"] };
}
