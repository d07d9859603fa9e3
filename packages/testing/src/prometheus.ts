import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";
import { type AppProcess, killIfFails, startProcess } from "./process.ts";
import { waitFor } from "./wait.ts";

/** Debian's prometheus, or $PROMETHEUS_PATH; undefined when the machine has none. */
export function prometheusBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return [env.PROMETHEUS_PATH, "/usr/bin/prometheus", "/usr/local/bin/prometheus"].find(
    (path): path is string => Boolean(path) && existsSync(path as string),
  );
}

/** Why tests with a real Prometheus cannot run here, if they cannot: for `runsHere`. */
export function prometheusMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return prometheusBinary(env)
    ? undefined
    : "no prometheus: install Debian's prometheus (apt-get install prometheus) or set PROMETHEUS_PATH";
}

/** A running Prometheus, scraping the targets it was given. */
export interface PrometheusServer {
  readonly url: string;
  readonly process: AppProcess;
  /** An instant query's value (the first series'), or undefined while it has none. */
  query(promql: string): Promise<number | undefined>;
  /** Waits until `promql` is `expected`; fails with the last value seen. */
  waitForValue(promql: string, expected: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Prometheus on a free port with a generated configuration: one job scraping `targets`
 * (`host:port`) every second, its storage in a scratch directory. Resolves once it is ready.
 */
export async function startPrometheus({ targets }: { readonly targets: readonly string[] }): Promise<PrometheusServer> {
  const binary = prometheusBinary();
  if (!binary) throw new Error(prometheusMissing());
  const dir = mkdtempSync(join(tmpdir(), "prometheus-"));
  mkdirSync(join(dir, "data"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 1s",
      "scrape_configs:",
      "  - job_name: app",
      "    static_configs:",
      `      - targets: ${JSON.stringify(targets)}`,
      "",
    ].join("\n"),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const prometheus = startProcess(binary, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--log.level=warn",
  ]);
  const query = async (promql: string) => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    if (!response.ok) throw new Error(`${promql}: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
    const first = body.data.result[0];
    return first === undefined ? undefined : Number(first.value[1]);
  };
  await killIfFails([prometheus], () =>
    waitFor("prometheus to be ready", async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined), {
      timeoutMs: 30_000,
      abortIf: prometheus.exitReason,
    }),
  );
  return {
    url,
    process: prometheus,
    query,
    async waitForValue(promql, expected, timeoutMs = 30_000) {
      let last: number | undefined;
      await waitFor(
        `${promql} to be ${expected} in Prometheus`,
        async () => {
          last = await query(promql);
          return last === expected ? true : undefined;
        },
        { timeoutMs, intervalMs: 250, abortIf: prometheus.exitReason },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)} (last value: ${last})`);
      });
    },
    stop: async () => {
      await prometheus.stop("SIGTERM");
    },
  };
}

/** One sample's value in Prometheus's text format, by its name and labels as printed; undefined if absent. */
export function metricValue(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The sum of every sample of `name` whose labels include each of `labels` (as printed: `a="b"`). */
export function metricSum(text: string, name: string, labels: readonly string[] = []): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const space = line.lastIndexOf(" ");
    const head = line.slice(0, space);
    if (labels.every((label) => head.includes(label))) sum += Number(line.slice(space + 1));
  }
  return sum;
}
