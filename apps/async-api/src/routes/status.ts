import { problem, status, type UpstreamStatus } from "@repo/contracts";
import { route } from "../http/route.ts";
import type { Outbound } from "../outbound/client.ts";
import type { AsyncApiSettings } from "../settings/index.ts";

/**
 * Fans out to every upstream that counts for the status (`status: true`, the default) at once and aggregates the answers, naming upstreams but never their
 * addresses: 200 when all are up, 504 when one timed out, 502 when one failed or could not be
 * reached. The client leaving cancels them all.
 */
export function statusRoutes({
  outbound,
  upstreams,
}: {
  outbound: Outbound;
  upstreams: AsyncApiSettings["upstreams"];
}) {
  return route(status, {
    status: async ({ signal, id }) => {
      const results: UpstreamStatus[] = await Promise.all(
        Object.entries(upstreams)
          .filter(([, upstream]) => upstream.status)
          .map(async ([name, upstream]) => {
            const call = await outbound.upstream(name).call(upstream.statusPath, { signal, requestId: id });
            // By name only: the upstream's address and the error's text stay inside.
            return {
              name,
              outcome: call.outcome,
              httpStatus: "httpStatus" in call ? call.httpStatus : null,
              elapsedMs: call.elapsedMs,
            };
          }),
      );
      const down = results.filter((r) => r.outcome !== "ok");
      if (down.length === 0) return { status: 200, body: { upstreams: results } };
      const code = down.some((r) => r.outcome === "timeout") ? 504 : 502;
      const detail = down.map((r) => `${r.name}: ${r.outcome}${r.httpStatus ? ` (${r.httpStatus})` : ""}`).join("; ");
      return { status: code, body: { ...problem({ status: code, detail }), upstreams: results } };
    },
  });
}
