/**
 * infra/prometheus/ and compose's `observability` profile without a Docker engine: Debian's promtool
 * checks the scrape configuration and the alerting rules and runs the rules' unit tests
 * (alerts.test.yml); the compose files are parsed and held to the apps' own settings, so a moved
 * metrics port, a renamed service or a published metrics port fails here.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { asyncApiSettings } from "@repo/async-api/settings";
import { syncApiSettings } from "@repo/sync-api/settings";
import {
  type ComposeService,
  composeFile,
  infraYaml,
  prometheusBinary,
  repoRoot,
  runsHere,
  serviceEnv,
} from "@repo/testing";
import { describe, expect, it } from "vitest";

const compose = composeFile();
const services = compose.services;

interface ScrapeConfig {
  readonly job_name: string;
  readonly dns_sd_configs?: readonly {
    readonly names: readonly string[];
    readonly type: string;
    readonly port: number;
  }[];
  readonly static_configs?: readonly { readonly targets: readonly string[] }[];
}
const config = infraYaml("prometheus/prometheus.yml") as {
  readonly global: { readonly scrape_interval: string };
  readonly rule_files: readonly string[];
  readonly scrape_configs: readonly ScrapeConfig[];
};

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}
const rules = (infraYaml("prometheus/alerts.yml") as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

interface RuleTest {
  readonly alert_rule_test?: readonly { readonly alertname: string; readonly exp_alerts?: readonly unknown[] }[];
}
const ruleTests = infraYaml("prometheus/alerts.test.yml") as {
  readonly rule_files: readonly string[];
  readonly tests: readonly RuleTest[];
};

/**
 * An app's settings as its compose service gives them: production, its env file and `environment`.
 * The secrets compose mounts as files (`*_FILE`) are given as values instead, which is all a test
 * can do without the files; nothing here reads them.
 */
function composedEnv(service: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(serviceEnv(services[service] as ComposeService))) {
    if (!name.endsWith("_FILE")) env[name] = value;
    else if (/SECRET/.test(name))
      env[name.slice(0, -"_FILE".length)] = "compose-test-secret-0123456789abcdef0123456789";
  }
  return env;
}

const apps = {
  "sync-api": syncApiSettings.load(composedEnv("sync-api")),
  "async-api": asyncApiSettings.load(composedEnv("async-api")),
} as const;

/** promtool: beside the prometheus binary the metrics test uses (the same Debian package). */
const promtool = [prometheusBinary(), "/usr/bin/prometheus"]
  .map((binary) => binary && join(dirname(binary), "promtool"))
  .find((path): path is string => Boolean(path) && existsSync(path as string));
const promtoolMissing = promtool
  ? undefined
  : "no promtool: install Debian's prometheus (apt-get install prometheus), which has it beside prometheus";

function runPromtool(...args: string[]): { code: number | null; output: string } {
  const run = spawnSync(promtool as string, args, { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("promtool", () => {
  const runs = runsHere("promtool on infra/prometheus", promtoolMissing);

  it.skipIf(!runs)("finds the scrape configuration valid, and the rule file it names", () => {
    const check = runPromtool("check", "config", "infra/prometheus/prometheus.yml");
    expect(check.output).toContain("SUCCESS: 1 rule files found");
    expect(check.code, check.output).toBe(0);
  });

  it.skipIf(!runs)("finds the alerting rules valid", () => {
    const check = runPromtool("check", "rules", "infra/prometheus/alerts.yml");
    expect(check.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(check.code, check.output).toBe(0);
  });

  it.skipIf(!runs)("passes the rules' unit tests (alerts.test.yml): each alert fires on its series", () => {
    const check = runPromtool("test", "rules", "infra/prometheus/alerts.test.yml");
    expect(check.output).toContain("SUCCESS");
    expect(check.code, check.output).toBe(0);
  });
});

describe("the alerting rules", () => {
  it("hold each alert a while, with a severity, a summary and a description", () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(["critical", "warning"], rule.alert).toContain(rule.labels?.severity);
      expect(Object.keys(rule.annotations ?? {}).sort(), rule.alert).toEqual(["description", "summary"]);
    }
  });

  it("read only metrics docs/observability.md lists (and Prometheus's own `up`)", () => {
    const documented = readFileSync(join(repoRoot, "docs/observability.md"), "utf8");
    const names = new Set(
      rules.flatMap((rule) => [...rule.expr.matchAll(/\b([a-z_][a-z0-9_]*)\s*[{[]/g)].map((m) => m[1])),
    );
    expect(names.size).toBeGreaterThan(3);
    for (const name of names) {
      if (name === "up") continue;
      // A histogram's series are documented under its name (…_bucket, …_count).
      const documentedAs = (name as string).replace(/_(bucket|count|sum)$/, "");
      expect(documented, name).toContain(`\`${documentedAs}`);
    }
  });

  it("are each tested firing and, for the 5xx ratio, target down and worker restarts, quiet on healthy series", () => {
    expect(ruleTests.rule_files).toEqual(["alerts.yml"]);
    const cases = ruleTests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const rule of rules) {
      const fires = cases.filter((c) => c.alertname === rule.alert && (c.exp_alerts ?? []).length > 0);
      expect(fires.length, `${rule.alert} fires`).toBeGreaterThan(0);
    }
    for (const alert of ["HighServerErrorRatio", "TargetDown", "SyncApiWorkerRestarts"]) {
      const quiet = cases.filter((c) => c.alertname === alert && (c.exp_alerts ?? []).length === 0);
      expect(quiet.length, `${alert} stays quiet`).toBeGreaterThan(0);
    }
  });
});

describe("prometheus.yml", () => {
  it("scrapes every 15 s and evaluates alerts.yml", () => {
    expect(config.global.scrape_interval).toBe("15s");
    expect(config.rule_files).toEqual(["alerts.yml"]);
  });

  it("scrapes each app's metrics port by its compose service name: the port of the app's own settings", () => {
    expect(config.scrape_configs.map((job) => job.job_name)).toEqual(Object.keys(apps));
    for (const [app, settings] of Object.entries(apps)) {
      const job = config.scrape_configs.find((j) => j.job_name === app);
      // Every replica (`--scale`): Docker's DNS answers the service's name with each container.
      expect(job?.dns_sd_configs, app).toEqual([expect.objectContaining({ names: [app], type: "A" })]);
      expect(services[app], app).toBeDefined();
      expect(settings.metrics.port, app).toBeGreaterThan(0);
      expect(job?.dns_sd_configs?.[0]?.port, app).toBe(settings.metrics.port);
    }
  });
});

describe("docker-compose.yml's observability profile", () => {
  const prometheus = services.prometheus as ComposeService;

  it("has Prometheus in the `observability` profile only, and every other service in none", () => {
    expect(prometheus.profiles).toEqual(["observability"]);
    for (const [name, service] of Object.entries(services)) {
      if (name !== "prometheus") expect(service.profiles, name).toBeUndefined();
    }
  });

  it("runs a pinned prom/prometheus as the image's own user, on the config folder and a named volume", () => {
    expect(prometheus.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(prometheus.user).toBeUndefined();
    expect(prometheus.volumes).toEqual(["./prometheus:/etc/prometheus:ro", "prometheus-data:/prometheus"]);
    expect(Object.keys(compose.volumes ?? {})).toContain("prometheus-data");
    expect(prometheus.command).toEqual(
      expect.arrayContaining([
        "--config.file=/etc/prometheus/prometheus.yml",
        "--storage.tsdb.path=/prometheus",
        expect.stringMatching(/^--storage\.tsdb\.retention\.time=/),
      ]),
    );
    expect(prometheus.healthcheck?.test).toEqual(expect.arrayContaining(["CMD", "http://127.0.0.1:9090/-/ready"]));
  });

  it("lets infra/.env set each variable it interpolates: each is in .env.example", () => {
    const raw = [...(prometheus.command ?? []), ...(prometheus.ports ?? [])].join("\n");
    const interpolated = [...raw.matchAll(/\$\{([A-Z_]+):-/g)].map((match) => match[1]);
    expect(interpolated.length).toBeGreaterThan(0);
    const example = readFileSync(join(repoRoot, "infra/.env.example"), "utf8");
    for (const name of interpolated) expect(example, name).toMatch(new RegExp(`^(# )?${name}=`, "m"));
  });

  it("publishes Prometheus's UI on the host's loopback only; of the default services, only the proxy publishes", () => {
    expect(prometheus.ports).toEqual([["127.0.0.1:$", "{PROMETHEUS_PORT:-9090}:9090"].join("")]);
    const published = Object.entries(services).filter(([, service]) => service.ports && !service.profiles);
    expect(published.map(([name]) => name)).toEqual(["proxy"]);
  });

  it("exposes each app's metrics port on the compose network, never publishing it, on a host Prometheus reaches", () => {
    for (const [app, settings] of Object.entries(apps)) {
      const service = services[app] as ComposeService;
      expect(service.expose, app).toContain(String(settings.metrics.port));
      expect(service.ports, app).toBeUndefined();
      // The metrics listener binds the app's host: every interface of the container.
      expect(settings.host, app).toBe("0.0.0.0");
    }
    for (const service of Object.values(services)) {
      for (const port of service.ports ?? []) {
        for (const settings of Object.values(apps)) expect(port).not.toContain(String(settings.metrics.port));
      }
    }
  });
});

describe("docker-compose.combined.yml", () => {
  it("exposes combined mode's metrics port (async-api's setting) on the compose network, never publishing it", () => {
    const api = composeFile("docker-compose.combined.yml").services.api as ComposeService;
    const port = String(apps["async-api"].metrics.port);
    expect(api.expose).toContain(port);
    expect(api.ports?.join(" ")).not.toContain(port);
    expect(serviceEnv(api).ASYNC_API_HOST).toBe("0.0.0.0");
  });
});
