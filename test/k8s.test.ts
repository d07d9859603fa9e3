/**
 * infra/k8s/ without a cluster: every overlay rendered by `kubectl kustomize`, every object it
 * yields validated against the Kubernetes and Gateway API schemas (kubernetes-models), then held to
 * what those schemas cannot know: the apps' own ports, health routes, drain time, async prefix and
 * settings, and the project's rules for a container (three probes, resources, locked down).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { asyncApiSettings } from "@repo/async-api/settings";
import { DEFAULT_ASYNC_PREFIX } from "@repo/shared-settings";
import { syncApiSettings } from "@repo/sync-api/settings";
import { composeFile, kustomize, kustomizeMissing, repoRoot, runsHere } from "@repo/testing";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";

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

/** The schema class of each kind the overlays may hold: an object of another kind fails the test. */
const MODELS: Readonly<Record<string, new (data: never) => { validate(): void }>> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "gateway.networking.k8s.io/v1/HTTPRoute": HTTPRoute,
};

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

describe.skipIf(!runs)("infra/k8s", () => {
  // sync-api's drain time as production's settings give it (a function: a skipped run renders nothing).
  const drain = () =>
    syncApiSettings.load(configMapEnv(objects("production"), "SYNC_API_")).shutdown.gracefulTimeoutMs / 1000;

  describe.each(OVERLAYS)("overlay %s", (overlay) => {
    it("renders objects the Kubernetes and Gateway API schemas accept", () => {
      const all = objects(overlay);
      expect(all.length).toBeGreaterThan(0);
      for (const object of all) {
        // kustomize wraps a long secret's base64 over lines, which the API server's decoder
        // skips and the schema's `byte` format does not: joined before the check.
        if (object.kind === "Secret")
          Object.assign(object, {
            data: Object.fromEntries(Object.entries(object.data ?? {}).map(([k, v]) => [k, v.replace(/\s/g, "")])),
          });
        const Model = MODELS[`${object.apiVersion}/${object.kind}`];
        expect(Model, `${object.apiVersion} ${object.kind} ${object.metadata.name}`).toBeDefined();
        expect(() => new (Model as NonNullable<typeof Model>)(object as never).validate()).not.toThrow();
      }
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

    it("denies ingress by default; metrics only from `monitoring`", () => {
      const policies = ofKind(objects(overlay), "NetworkPolicy");
      expect(policies.some((p) => Object.keys(p.spec.podSelector).length === 0 && !p.spec.ingress?.length)).toBe(true);
      for (const policy of policies)
        for (const rule of policy.spec.ingress ?? [])
          if ((rule.ports as { port: string }[]).some((p) => p.port === "metrics"))
            expect(rule.from).toEqual([
              { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
            ]);
    });
  });

  describe("the split apps (development, production)", () => {
    it.each(["development", "production"] as const)(
      "%s: ports, health routes and prefix are the apps' own",
      (overlay) => {
        const all = objects(overlay);
        const prefix = configMap(all, "deployment-env").ASYNC_PREFIX;
        expect(prefix).toBe(DEFAULT_ASYNC_PREFIX);
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
