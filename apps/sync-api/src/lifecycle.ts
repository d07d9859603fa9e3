/**
 * What the rest of a worker may ask about its life: readiness reads it. Its own module, so that
 * the routes and the host read it without importing the worker that runs them.
 */
export interface Lifecycle {
  readonly draining: boolean;
}
