/** The sync route table: every controller sync-api serves, in the order they are mounted. */
import type { SyncRoute } from "../http/route.ts";
import { healthRoutes } from "./health.ts";

export const routes: readonly SyncRoute[] = [healthRoutes];
