/**
 * What a proxy hop costs: each app's health route directly, through the dev proxy, and through
 * nginx running the infra template, at saturation (throughput) and one request at a time (latency).
 */

import { ASYNC_PREFIX } from "@repo/testing";
import { fmt } from "../lib/format.ts";
import { type LoadSummary, measureLoads } from "../lib/measure.ts";
import type { Measurement, Scenario, Table } from "../lib/scenario.ts";
import {
  hasNginx,
  ready,
  type Service,
  startAsyncApi,
  startDevProxy,
  startNginxProxy,
  startSyncApi,
} from "../lib/services.ts";

const CONNECTIONS = 50;
const APPS = [
  { app: "sync-api", path: "/healthz", runtime: "sync" },
  { app: "async-api", path: `${ASYNC_PREFIX}/healthz`, runtime: "async" },
] as const;

interface Item {
  readonly app: (typeof APPS)[number]["app"];
  readonly hop: string;
  readonly connections: number;
  readonly label: string;
  readonly load: { readonly url: string; readonly connections: number };
  readonly sequential: boolean;
}

export const proxyCost: Scenario = {
  name: "proxy-cost",
  title: "Proxy cost",
  async run(context) {
    const remarks: string[] = [
      "nginx keeps at most 32 idle connections to each app (`keepalive 32` in the template): behind it an app serves fewer, busier connections than the 50 the load generator opens directly.",
    ];
    const sync = await startSyncApi(context, { workers: 1 });
    const async = await startAsyncApi(context, { syncApi: sync });
    const devProxy = await startDevProxy(context, { sync, async });
    const hops: [string, (app: Service) => string][] = [
      ["direct", (app) => app.origin],
      ["dev proxy", () => devProxy.origin],
    ];
    if (hasNginx()) {
      const nginx = await startNginxProxy(context, { sync, async });
      hops.push(["nginx", () => nginx.origin]);
    } else if (process.env.CI) {
      throw new Error("no nginx: install Debian's nginx or set NGINX_PATH (required under CI)");
    } else {
      remarks.push("nginx is not installed here (Debian's `nginx`, or `NGINX_PATH`): its rows are missing.");
      context.log("  no nginx on this machine: measuring direct and through the dev proxy only");
    }
    await ready(sync, async, devProxy);
    const origins = { "sync-api": sync, "async-api": async };

    const items: Item[] = [];
    for (const { app, path, runtime } of APPS) {
      for (const [hop, origin] of hops) {
        const url = `${origin(origins[app])}${path}`;
        // Every hop reaches the right app before anything is measured.
        const body = (await (await fetch(url)).json()) as { runtime?: string };
        if (body.runtime !== runtime) throw new Error(`${url} reached ${body.runtime ?? "nothing"}, not ${app}`);
        for (const connections of [CONNECTIONS, 1]) {
          const label = `${app} ${hop === "direct" ? "direct" : `via ${hop}`}, ${connections === 1 ? "one at a time" : `${connections} connections`}`;
          items.push({ app, hop, connections, label, load: { url, connections }, sequential: connections === 1 });
        }
      }
    }
    const measured = await measureLoads(context, items);
    const find = (app: string, hop: string, connections: number): LoadSummary | undefined =>
      measured.find(({ item }) => item.app === app && item.hop === hop && item.connections === connections)?.summary;

    const tables: Table[] = [];
    const measurements: Measurement[] = [];
    const rows: { label: string; group: string; values: number[] }[] = [];
    const details: Record<string, unknown> = {};
    for (const { app } of APPS) {
      const direct = find(app, "direct", CONNECTIONS);
      const directOne = find(app, "direct", 1);
      const tableRows: string[][] = [];
      for (const [hop] of hops) {
        const busy = find(app, hop, CONNECTIONS);
        const one = find(app, hop, 1);
        if (!busy || !one || !direct || !directOne) continue;
        const label = `${app} ${hop}`;
        const ratio = busy.requestsPerSecond / direct.requestsPerSecond;
        const added = one.p50 - directOne.p50;
        tableRows.push([
          hop,
          fmt.count(busy.requestsPerSecond),
          fmt.ratio(ratio),
          fmt.ms(busy.p50),
          fmt.ms(busy.p99),
          fmt.ms(one.p50),
          fmt.ms(one.p99),
          hop === "direct" ? "" : fmt.deltaMs(added),
        ]);
        measurements.push(
          {
            label,
            metric: `requests per second, ${CONNECTIONS} connections`,
            unit: "req/s",
            value: busy.requestsPerSecond,
          },
          { label, metric: "throughput ratio to direct", unit: "×", value: ratio },
          { label, metric: `p50 latency, ${CONNECTIONS} connections`, unit: "ms", value: busy.p50 },
          { label, metric: `p99 latency, ${CONNECTIONS} connections`, unit: "ms", value: busy.p99 },
          { label, metric: "p50 latency, one request at a time", unit: "ms", value: one.p50 },
          { label, metric: "p99 latency, one request at a time", unit: "ms", value: one.p99 },
        );
        rows.push({ label: hop, group: app, values: [busy.requestsPerSecond] });
        details[label] = { [`${CONNECTIONS} connections`]: busy, "one at a time": one, addedP50Ms: added };
      }
      tables.push({
        caption: `${app} (${APPS.find((a) => a.app === app)?.path})`,
        columns: [
          "path",
          `req/s @${CONNECTIONS}`,
          "× direct",
          `p50 @${CONNECTIONS}`,
          `p99 @${CONNECTIONS}`,
          "p50 @1",
          "p99 @1",
          "added p50 @1",
        ],
        rows: tableRows,
      });
    }
    return {
      method: [
        "Each app's health route, production builds with production settings (sync-api with 1 worker), reached",
        "directly, through the dev proxy (`packages/dev-proxy`, its production build) and through nginx running",
        "`infra/nginx/templates/default.conf.template` rendered with the compose proxy service's variables (one",
        `worker process, as the e2e harness runs it). Two loads per path: autocannon with ${CONNECTIONS} connections`,
        "(throughput, latency under saturation), and one request at a time on one kept-alive connection, timed",
        "by a raw-socket client (`bench/src/lib/probe.ts`: the latency a hop adds; autocannon's own client",
        "waits about a millisecond more per request through nginx at one connection, a client artifact).",
        `${context.plan.seconds} s × ${context.plan.rounds} round(s), interleaved, medians. The proxy, the app and the`,
        "load generator share the machine's cores, so a hop costs throughput twice: its own work, and the CPU it",
        "takes from the app.",
      ].join("\n"),
      tables,
      chart: {
        title: `Requests per second, ${CONNECTIONS} connections, direct and through each proxy`,
        unit: "requests/s",
        series: ["req/s"],
        rows,
        format: fmt.count,
      },
      remarks,
      measurements,
      details: { connections: CONNECTIONS, ...details },
    };
  },
};
