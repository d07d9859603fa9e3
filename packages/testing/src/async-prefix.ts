import { resolveAsyncPrefix } from "@repo/shared-settings";

/**
 * The async prefix of every stack the tests start: the test run's `ASYNC_PREFIX` (which every
 * process started here inherits, as the deployment's parts all read it), or the default. Tests
 * build async paths from this, never from a literal, so the suite runs under any prefix.
 */
export const ASYNC_PREFIX = resolveAsyncPrefix(process.env);
