/** The async route table: every controller async-api serves, all mounted under the async prefix. */
import type { AsyncRoute } from "../http/route.ts";
import { healthRoutes } from "./health.ts";

export const routes: readonly AsyncRoute[] = [healthRoutes];
