/**
 * Rendered Kubernetes objects against the Kubernetes and Gateway API schemas, offline, in two
 * passes: kubernetes-models' validators (required fields, formats, enums), which accept unknown
 * fields and so a misspelt key, and then the same models' TypeScript types, which do not: each
 * object is written as a literal of its kind's type and `tsc` reports every key the kind has no
 * field for, as the API server's strict field validation (`kubectl apply`'s default) would refuse it.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { repoRoot } from "@repo/testing";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from "kubernetes-models/v1";

export interface RenderedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly data?: Readonly<Record<string, string>>;
}

/** The schema class of each kind the overlays may hold: an object of another kind is a problem. */
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

/** The module declaring a kind's type, `I<Kind>`: both packages lay them out by API version. */
const typeModule = ({ apiVersion, kind }: RenderedObject) =>
  `${apiVersion.startsWith("gateway.networking.k8s.io/") ? "@kubernetes-models/gateway-api" : "kubernetes-models"}/${apiVersion}/${kind}`;

const named = (object: RenderedObject) => `${object.kind} ${object.metadata.name}`;

/**
 * What the schemas find wrong with these objects: a line each, naming the object, none when all
 * hold. Every problem of the validators; at least the first unknown key of each object.
 */
export function schemaProblems(objects: readonly RenderedObject[]): string[] {
  const problems: string[] = [];
  const known: RenderedObject[] = [];
  for (const object of objects) {
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!Model) {
      problems.push(`${named(object)}: ${object.apiVersion} ${object.kind} is not a kind the overlays may hold`);
      continue;
    }
    known.push(object);
    // kustomize wraps a long secret's base64 over lines, which the API server's decoder skips and
    // the schema's `byte` format does not: joined before the check.
    const data =
      object.kind === "Secret"
        ? Object.fromEntries(Object.entries(object.data ?? {}).map(([key, value]) => [key, value.replace(/\s/g, "")]))
        : object.data;
    try {
      new Model({ ...object, ...(data && { data }) } as never).validate();
    } catch (error) {
      problems.push(`${named(object)}: ${(error as Error).message}`);
    }
  }
  return [...problems, ...unknownFields(known)];
}

/** tsc's word on each object as a literal of its kind's type: its unknown keys and wrong types. */
function unknownFields(objects: readonly RenderedObject[]): string[] {
  if (objects.length === 0) return [];
  // Inside the workspace's node_modules, so that the file resolves the models' packages.
  const cache = join(repoRoot, "node_modules/.cache");
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, "k8s-schema-"));
  try {
    const kinds = [...new Set(objects.map(typeModule))];
    const lines = [
      ...kinds.map((module, i) => `import type { I${module.split("/").at(-1)} as T${i} } from "${module}";`),
      ...objects.map(
        (object, i) => `export const o${i}: T${kinds.indexOf(typeModule(object))} = ${JSON.stringify(object)};`,
      ),
    ];
    writeFileSync(join(dir, "objects.ts"), `${lines.join("\n")}\n`);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: "nodenext",
          target: "esnext",
          types: [],
          skipLibCheck: true,
        },
        files: ["objects.ts"],
      }),
    );
    const tsc = spawnSync(join(repoRoot, "node_modules/.bin/tsc"), ["-p", ".", "--pretty", "false"], {
      cwd: dir,
      encoding: "utf8",
    });
    if (tsc.error) throw tsc.error;
    if (tsc.status === 0) return [];
    const problems = tsc.stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const at = /^objects\.ts\((\d+),\d+\): error TS\d+: (.*)$/.exec(line);
        const object = at ? objects[Number(at[1]) - 1 - kinds.length] : undefined;
        // A line about no object (a type not found, a broken install) is said as it is.
        return object && at ? `${named(object)}: ${at[2]}` : line;
      });
    return problems.length > 0 ? problems : [`tsc exited with ${tsc.status}: ${tsc.stderr}`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
