import { syncHealth } from "@repo/contracts";
import { route } from "../http/route.ts";

export const healthRoutes = route(syncHealth, {
  health: () => ({ status: 200, body: { status: "ok", runtime: "sync", pid: process.pid } }),
});
