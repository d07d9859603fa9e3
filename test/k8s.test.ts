/**
 * infra/k8s/ without a cluster: every overlay rendered by `kubectl kustomize`, every object it
 * yields validated against the Kubernetes and Gateway API schemas (kubernetes-models), then held to
 * what those schemas cannot know: the apps' own ports, health routes, drain time, async prefix and
 * settings, and the project's rules for a container (three probes, resources, locked down).
 */
import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { parseEnv } from "node:util";
import { asyncApiSettings } from "@repo/async-api/settings";
import { syncApiSettings } from "@repo/sync-api/settings";
import { composeFile, kustomization, kustomize, kustomizeMissing, repoRoot, runsHere } from "@repo/testing";
import { describe, expect, it } from "vitest";
import { schemaProblems } from "./support/k8s-schema.ts";

const OVERLAYS = ["development", "production", "combined"] as const;
type Overlay = (typeof OVERLAYS)[number];

const runs = runsHere("the Kubernetes manifests (kubectl kustomize)", kustomizeMissing());

// Loosely typed views of the rendered objects: the schema check (kubernetes-models) comes first,
// these are only what the project's own checks read.
interface Meta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
}
interface Probe {
  readonly httpGet?: { readonly path?: string; readonly port?: string | number };
  readonly exec?: { readonly command?: readonly string[] };
}
interface Container {
  readonly name: string;
  readonly image?: string;
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly startupProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
  readonly lifecycle?: { readonly preStop?: { readonly sleep?: { readonly seconds: number } } };
  readonly envFrom?: readonly { readonly configMapRef?: { readonly name: string } }[];
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string>>;
    readonly limits?: Readonly<Record<string, string>>;
  };
  readonly securityContext?: {
    readonly allowPrivilegeEscalation?: boolean;
    readonly readOnlyRootFilesystem?: boolean;
    readonly capabilities?: { readonly drop?: readonly string[] };
    readonly runAsNonRoot?: boolean;
    readonly seccompProfile?: { readonly type?: string };
  };
}
interface PodSpec {
  readonly containers: readonly Container[];
  readonly terminationGracePeriodSeconds?: number;
  readonly securityContext?: {
    readonly runAsNonRoot?: boolean;
    readonly runAsUser?: number;
    readonly seccompProfile?: { readonly type?: string };
  };
}
interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: Meta;
  // biome-ignore lint/suspicious/noExplicitAny: a rendered object of any kind, read by kind below.
  readonly spec?: any;
  readonly data?: Readonly<Record<string, string>>;
}
interface Workload extends K8sObject {
  readonly spec: {
    readonly replicas?: number;
    readonly selector: { readonly matchLabels: Readonly<Record<string, string>> };
    readonly template: {
      readonly metadata: { readonly labels: Readonly<Record<string, string>> };
      readonly spec: PodSpec;
    };
  };
}

const rendered = new Map<Overlay, K8sObject[]>();
function objects(overlay: Overlay): K8sObject[] {
  let found = rendered.get(overlay);
  if (!found) {
    found = kustomize(`overlays/${overlay}`) as K8sObject[];
    rendered.set(overlay, found);
  }
  // A deep copy: a test that breaks an object in memory must not break the others'.
  return structuredClone(found);
}

const workloads = (all: readonly K8sObject[]) =>
  all.filter((o): o is Workload => o.kind === "Deployment" || o.kind === "StatefulSet");
const ofKind = (all: readonly K8sObject[], kind: string) => all.filter((o) => o.kind === kind);
const selects = (selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

/** A quantity in bytes or cores: Kubernetes' (`512Mi`, `250m`) and compose's (`1G`, binary). */
function quantity(value: string): number {
  const match = /^([\d.]+)(m|Ki|Mi|Gi|K|M|G)?$/.exec(value);
  if (!match) throw new Error(`not a quantity: ${value}`);
  const unit = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[
    match[2] as string
  ];
  return Number(match[1]) * (unit ?? 1);
}

/**
 * The project's own rules for every container of every workload, beyond the schema: each problem
 * as one line naming the workload and its container, none when all hold.
 */
function containerProblems(all: readonly K8sObject[], drainSeconds: number): string[] {
  const problems: string[] = [];
  for (const workload of workloads(all)) {
    const pod = workload.spec.template.spec;
    for (const container of pod.containers) {
      const where = `${workload.kind} ${workload.metadata.name}, container ${container.name}`;
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"] as const)
        if (!container[probe]) problems.push(`${where}: no ${probe}`);
      for (const side of ["requests", "limits"] as const)
        for (const resource of ["cpu", "memory"])
          if (!container.resources?.[side]?.[resource]) problems.push(`${where}: no ${side}.${resource}`);
      const security = container.securityContext;
      if (!(security?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot)) problems.push(`${where}: may run as root`);
      if (security?.readOnlyRootFilesystem !== true) problems.push(`${where}: root filesystem not read-only`);
      if (security?.allowPrivilegeEscalation !== false) problems.push(`${where}: privilege escalation allowed`);
      if (!security?.capabilities?.drop?.includes("ALL")) problems.push(`${where}: capabilities not all dropped`);
      if ((security?.seccompProfile ?? pod.securityContext?.seccompProfile)?.type !== "RuntimeDefault")
        problems.push(`${where}: no RuntimeDefault seccomp profile`);
      const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      if (workload.kind === "Deployment" && (pod.terminationGracePeriodSeconds ?? 30) <= preStop + drainSeconds)
        problems.push(`${where}: termination grace not above preStop (${preStop} s) + drain (${drainSeconds} s)`);
    }
  }
  return problems;
}

/** The app settings a rendered ConfigMap gives (the secrets' `_FILE`s as values, as a test can). */
function configMapEnv(all: readonly K8sObject[], prefix: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const map of ofKind(all, "ConfigMap"))
    for (const [name, value] of Object.entries(map.data ?? {})) {
      if (!name.endsWith("_FILE")) env[name] = value;
      else if (/SECRET/.test(name)) env[name.slice(0, -"_FILE".length)] = "k8s-test-secret-0123456789abcdef0123456789";
    }
  return Object.fromEntries(Object.entries(env).filter(([name]) => name === "NODE_ENV" || name.startsWith(prefix)));
}

/** One rendered ConfigMap's data, found by the name kustomize generated it from. */
function configMap(all: readonly K8sObject[], name: string): Readonly<Record<string, string>> {
  const found = ofKind(all, "ConfigMap").find((o) => o.metadata.name.startsWith(`${name}-`));
  if (!found?.data) throw new Error(`no ConfigMap ${name}`);
  return found.data;
}

const envFile = (path: string) => parseEnv(readFileSync(join(repoRoot, path), "utf8")) as Record<string, string>;

const container = (all: readonly K8sObject[], name: string): Container => {
  const found = workloads(all)
    .flatMap((w) => w.spec.template.spec.containers)
    .find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
};

/** A NetworkPolicy peer in words: `namespace gateway`, `pods async-api`; any other shape as it is. */
// biome-ignore lint/suspicious/noExplicitAny: a rendered peer, read field by field.
function peer(from: any): string {
  const namespace = from.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"];
  const pods = from.podSelector?.matchLabels?.["app.kubernetes.io/name"];
  const shape = Object.keys(from).sort().join(",");
  if (shape === "namespaceSelector" && namespace && Object.keys(from.namespaceSelector).length === 1)
    return `namespace ${namespace}`;
  if (shape === "podSelector" && pods && Object.keys(from.podSelector).length === 1) return `pods ${pods}`;
  return JSON.stringify(from);
}

/**
 * Who may reach a pod with these labels, by port, as the namespace's NetworkPolicies say:
 * `anyone` for a rule without `from`, `any port` for one without `ports`.
 */
function reachedBy(all: readonly K8sObject[], labels: Readonly<Record<string, string>>): Record<string, string[]> {
  const reach: Record<string, string[]> = {};
  for (const policy of ofKind(all, "NetworkPolicy")) {
    if (!selects(policy.spec.podSelector.matchLabels ?? {}, labels)) continue;
    for (const rule of policy.spec.ingress ?? []) {
      const peers: string[] = rule.from?.length ? rule.from.map(peer) : ["anyone"];
      const ports: string[] = rule.ports?.length
        ? rule.ports.map((p: { port: unknown }) => String(p.port))
        : ["any port"];
      for (const port of ports) reach[port] = [...(reach[port] ?? []), ...peers];
    }
  }
  return Object.fromEntries(Object.entries(reach).map(([port, peers]) => [port, peers.sort()]));
}

const APPS_REACHED_BY = {
  // async-api's upstream is sync-api: the internal feed among its routes.
  "sync-api": { http: ["namespace gateway", "pods async-api"], metrics: ["namespace monitoring"] },
  "async-api": { http: ["namespace gateway"], metrics: ["namespace monitoring"] },
};
/** Each workload's pods, and who reaches them on which port: nobody else on any. */
const REACHED_BY: Readonly<Record<Overlay, Record<string, Record<string, string[]>>>> = {
  development: { ...APPS_REACHED_BY, postgres: { postgres: ["pods async-api", "pods sync-api"] } },
  production: APPS_REACHED_BY,
  combined: { combined: { http: ["namespace gateway"], metrics: ["namespace monitoring"] } },
};

/** The image each app's container runs, by the kustomizations' `images:` (an overlay's over its base's). */
function imagesSet(overlay: Overlay): Record<string, string> {
  const own = kustomization(`overlays/${overlay}`);
  const takesBase = own.resources?.some((resource) => posix.join("overlays", overlay, resource) === "base");
  const layers = takesBase ? [kustomization("base"), own] : [own];
  const images: Record<string, string> = {};
  for (const image of layers.flatMap((layer) => layer.images ?? []))
    images[image.name] = `${image.newName ?? image.name}:${image.newTag ?? "latest"}`;
  return images;
}

describe.skipIf(!runs)("infra/k8s", () => {
  // sync-api's drain time as production's settings give it (a function: a skipped run renders nothing).
  const drain = () =>
    syncApiSettings.load(configMapEnv(objects("production"), "SYNC_API_")).shutdown.gracefulTimeoutMs / 1000;

  describe.each(OVERLAYS)("overlay %s", (overlay) => {
    it("renders objects the Kubernetes and Gateway API schemas accept, every key a known field", () => {
      const all = objects(overlay);
      expect(all.length).toBeGreaterThan(0);
      expect(schemaProblems(all)).toEqual([]);
    });

    it("holds every container to the project's rules: probes, resources, locked down, drain time", () => {
      expect(containerProblems(objects(overlay), drain())).toEqual([]);
    });

    it("has no Ingress, and routes through an HTTPRoute whose backends are its Services", () => {
      const all = objects(overlay);
      expect(ofKind(all, "Ingress")).toEqual([]);
      const [route, ...others] = ofKind(all, "HTTPRoute");
      expect(others).toEqual([]);
      const services = new Map(ofKind(all, "Service").map((s) => [s.metadata.name, s]));
      for (const rule of route?.spec.rules ?? [])
        for (const backend of rule.backendRefs as { name: string; port: number }[])
          expect(
            (services.get(backend.name)?.spec.ports as { port: number }[] | undefined)?.map((p) => p.port),
            `${backend.name}:${backend.port}`,
          ).toContain(backend.port);
    });

    it("selects every workload's pods by its Service, PDB and HPA", () => {
      const all = objects(overlay);
      for (const workload of workloads(all)) {
        const labels = workload.spec.template.metadata.labels;
        expect(selects(workload.spec.selector.matchLabels, labels)).toBe(true);
        const name = workload.metadata.name;
        const service = ofKind(all, "Service").find((s) => s.metadata.name === name);
        expect(selects(service?.spec.selector ?? { none: "" }, labels), `Service ${name}`).toBe(true);
        const replicated = (workload.spec.replicas ?? 1) > 1;
        const pdb = ofKind(all, "PodDisruptionBudget").find((p) => selects(p.spec.selector.matchLabels, labels));
        const hpa = ofKind(all, "HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef.name === name);
        expect(Boolean(pdb), `PodDisruptionBudget of ${name}`).toBe(replicated);
        expect(Boolean(hpa), `HorizontalPodAutoscaler of ${name}`).toBe(replicated);
        if (hpa) {
          expect(hpa.spec.scaleTargetRef).toMatchObject({ apiVersion: "apps/v1", kind: workload.kind });
          expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(workload.spec.replicas ?? 1);
        }
      }
    });

    it("denies ingress by default; lets in the gateway (HTTP), `monitoring` (metrics), async-api sync-api", () => {
      const all = objects(overlay);
      const policies = ofKind(all, "NetworkPolicy");
      expect(policies.some((p) => Object.keys(p.spec.podSelector).length === 0 && !p.spec.ingress?.length)).toBe(true);
      expect(
        Object.fromEntries(
          workloads(all).map((w) => [w.metadata.name, reachedBy(all, w.spec.template.metadata.labels)]),
        ),
      ).toEqual(REACHED_BY[overlay]);
    });

    it("sets each app's image in one place, the kustomizations' `images:`", () => {
      const set = imagesSet(overlay);
      const apps = workloads(objects(overlay))
        .flatMap((w) => w.spec.template.spec.containers)
        .filter((c) => c.name !== "postgres");
      expect(apps.length).toBeGreaterThan(0);
      for (const app of apps) expect(app.image, app.name).toBe(set[`api-starter/${app.name}`]);
      // One release of the monorepo: both apps at one tag.
      expect(new Set(apps.map((app) => app.image?.split(":").at(-1))).size).toBe(1);
    });
  });

  describe("the split apps (development, production)", () => {
    it.each(["development", "production"] as const)(
      "%s: ports, health routes and prefix are the apps' own",
      (overlay) => {
        const all = objects(overlay);
        const prefix = configMap(all, "deployment-env").ASYNC_PREFIX;
        // Whatever prefix the deployment sets (the settings below refuse a malformed one): the
        // route and probes must follow it.
        const sync = syncApiSettings.load(configMapEnv(all, "SYNC_API_"));
        const async = asyncApiSettings.load({ ...configMapEnv(all, "ASYNC_API_"), ASYNC_PREFIX: prefix as string });
        const expected = {
          "sync-api": { http: sync.port, metrics: sync.metrics.port, health: "/healthz", ready: "/readyz" },
          "async-api": {
            http: async.port,
            metrics: async.metrics.port,
            health: `${prefix}/healthz`,
            ready: `${prefix}/readyz`,
          },
        };
        for (const [name, want] of Object.entries(expected)) {
          const c = container(all, name);
          expect(Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]))).toEqual({
            http: want.http,
            metrics: want.metrics,
          });
          expect(c.startupProbe?.httpGet?.path).toBe(want.health);
          expect(c.livenessProbe?.httpGet?.path).toBe(want.health);
          expect(c.readinessProbe?.httpGet?.path).toBe(want.ready);
        }
        const route = ofKind(all, "HTTPRoute")[0];
        const rules = (route?.spec.rules ?? []) as {
          matches: { path: { type: string; value: string } }[];
          backendRefs: { name: string }[];
        }[];
        expect(rules.map((r) => [r.matches[0]?.path, r.backendRefs[0]?.name])).toEqual([
          [{ type: "PathPrefix", value: prefix }, "async-api"],
          [{ type: "PathPrefix", value: "/" }, "sync-api"],
        ]);
        // async-api's upstream is sync-api's Service, on its port.
        expect(async.upstreams["sync-api"]?.url).toBe(`http://sync-api:${sync.port}`);
      },
    );

    it("takes the compose env files' settings unchanged, and compose's resource limits", () => {
      const all = objects("production");
      const compose = composeFile().services;
      for (const app of ["sync-api", "async-api"] as const) {
        expect(configMap(all, `${app}-env`)).toEqual(envFile(`infra/env/${app}.env`));
        const limits = container(all, app).resources?.limits ?? {};
        const composed = compose[app]?.deploy?.resources?.limits ?? {};
        expect(quantity(limits.cpu ?? "0")).toBe(quantity(composed.cpus ?? "-"));
        expect(quantity(limits.memory ?? "0")).toBe(quantity(composed.memory ?? "-"));
      }
      // One worker per CPU of the limit.
      expect(quantity(container(all, "sync-api").resources?.limits?.cpu ?? "0")).toBe(
        Number(configMap(all, "sync-api-env").SYNC_API_WORKERS),
      );
    });

    it("production generates no secret (the operator's), development only EXAMPLE ones", () => {
      expect(ofKind(objects("production"), "Secret")).toEqual([]);
      expect(ofKind(objects("combined"), "Secret")).toEqual([]);
      const secrets = ofKind(objects("development"), "Secret");
      expect(secrets.length).toBeGreaterThan(0);
      for (const secret of secrets)
        for (const value of Object.values(secret.data ?? {}))
          expect(Buffer.from(value, "base64").toString()).toContain("EXAMPLE");
    });
  });

  describe("combined mode", () => {
    it("is one Deployment on the settings' port, every path routed to it, compose's settings", () => {
      const all = objects("combined");
      expect(workloads(all).map((w) => [w.kind, w.metadata.name, w.spec.replicas])).toEqual([
        ["Deployment", "combined", 1],
      ]);
      const prefix = configMap(all, "deployment-env").ASYNC_PREFIX as string;
      const settings = asyncApiSettings.load({ ...configMapEnv(all, "ASYNC_API_"), ASYNC_PREFIX: prefix });
      const c = container(all, "combined");
      expect(Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]))).toEqual({
        http: settings.combined.port,
        metrics: settings.metrics.port,
      });
      for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe])
        expect(["/healthz", "/readyz", `${prefix}/healthz`, `${prefix}/readyz`]).toContain(probe?.httpGet?.path);
      const rules = ofKind(all, "HTTPRoute")[0]?.spec.rules as {
        matches: unknown[];
        backendRefs: { name: string }[];
      }[];
      expect(rules.map((r) => [r.matches, r.backendRefs.map((b) => b.name)])).toEqual([
        [[{ path: { type: "PathPrefix", value: "/" } }], ["combined"]],
      ]);
      expect(configMap(all, "combined-env")).toEqual(envFile("infra/env/combined.env"));
      const composed = composeFile("docker-compose.combined.yml").services.api?.deploy?.resources?.limits ?? {};
      expect(quantity(c.resources?.limits?.cpu ?? "0")).toBe(quantity(composed.cpus ?? "-"));
      expect(quantity(c.resources?.limits?.memory ?? "0")).toBe(quantity(composed.memory ?? "-"));
    });
  });

  describe("the checks themselves", () => {
    const drainSeconds = 30;
    it("report a misspelt key and a kind the overlays may not hold, naming the object", () => {
      const all = objects("production");
      const asyncApi = container(all, "async-api") as unknown as Record<string, unknown>;
      asyncApi.readinesProbe = asyncApi.readinessProbe;
      delete asyncApi.readinessProbe;
      const pdb = ofKind(all, "PodDisruptionBudget")[0] as { metadata: Meta; spec: Record<string, unknown> };
      pdb.spec = { selector: pdb.spec.selector, maxUnavailabe: 1 };
      const ingress = { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "api" }, spec: {} };
      expect(schemaProblems([...all, ingress])).toEqual([
        "Ingress api: networking.k8s.io/v1 Ingress is not a kind the overlays may hold",
        expect.stringMatching(/^Deployment async-api: .*'"readinesProbe"' does not exist in type/),
        expect.stringMatching(
          new RegExp(`^PodDisruptionBudget ${pdb.metadata.name}: .*'"maxUnavailabe"' does not exist`),
        ),
      ]);
    });

    it("report a port opened to anyone", () => {
      const all = objects("production");
      const policy = ofKind(all, "NetworkPolicy").find((p) => p.metadata.name === "sync-api");
      delete policy?.spec.ingress[0].from;
      const sync = workloads(all).find((w) => w.metadata.name === "sync-api");
      expect(reachedBy(all, sync?.spec.template.metadata.labels ?? {})).toEqual({
        http: ["anyone"],
        metrics: ["namespace monitoring"],
      });
    });

    it("report a missing probe and a missing limit, naming the container", () => {
      const withoutProbe = objects("production");
      delete (container(withoutProbe, "async-api") as { readinessProbe?: Probe }).readinessProbe;
      expect(containerProblems(withoutProbe, drainSeconds)).toEqual([
        "Deployment async-api, container async-api: no readinessProbe",
      ]);

      const withoutLimit = objects("production");
      delete (container(withoutLimit, "sync-api").resources as { limits: Record<string, string> }).limits.memory;
      expect(containerProblems(withoutLimit, drainSeconds)).toEqual([
        "Deployment sync-api, container sync-api: no limits.memory",
      ]);
    });

    it("report a grace period within the drain time", () => {
      const all = objects("development");
      const sync = workloads(all).find((w) => w.metadata.name === "sync-api");
      (sync?.spec.template.spec as { terminationGracePeriodSeconds: number }).terminationGracePeriodSeconds = 30;
      expect(containerProblems(all, drainSeconds)).toEqual([
        `Deployment sync-api, container sync-api: termination grace not above preStop (5 s) + drain (${drainSeconds} s)`,
      ]);
    });
  });
});
