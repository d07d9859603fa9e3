import { asyncHealth } from "@repo/contracts";
import { route } from "../http/route.ts";

export const healthRoutes = route(asyncHealth, {
  health: async () => ({ status: 200, body: { status: "ok", runtime: "async", pid: process.pid } }),
});
