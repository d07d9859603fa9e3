import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { repoRoot } from "./process.ts";

/**
 * Why `kubectl kustomize` cannot render infra/k8s here, or nothing when it can: kubectl missing,
 * or its built-in kustomize older than v5 (which the kustomizations are written for: Debian's
 * kubernetes-client package has v2).
 */
export function kustomizeMissing(): string | undefined {
  const version = spawnSync("kubectl", ["version", "--client", "--output=json"], { encoding: "utf8" });
  if (version.error || version.status !== 0)
    return "kubectl is not installed (it renders infra/k8s offline: docs/testing.md)";
  const kustomize = (JSON.parse(version.stdout) as { kustomizeVersion?: string }).kustomizeVersion ?? "";
  const major = Number(/^v(\d+)/.exec(kustomize)?.[1] ?? 0);
  return major >= 5 ? undefined : `kubectl's kustomize is ${kustomize || "missing"}; infra/k8s needs v5 or newer`;
}

/** A kustomization of infra/k8s (`overlays/production`), rendered offline: its objects, parsed. */
export function kustomize(dir: string): unknown[] {
  const result = spawnSync("kubectl", ["kustomize", join(repoRoot, "infra/k8s", dir)], { encoding: "utf8" });
  if (result.error || result.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${result.stderr}`);
  return parseAllDocuments(result.stdout).map((document) => document.toJS() as unknown);
}

/** The part of a kustomization.yaml the tests read. */
export interface Kustomization {
  readonly resources?: readonly string[];
  readonly images?: readonly { readonly name: string; readonly newName?: string; readonly newTag?: string }[];
}

/** A kustomization of infra/k8s (`base`, `overlays/production`), as its file says it. */
export function kustomization(dir: string): Kustomization {
  return parseYaml(readFileSync(join(repoRoot, "infra/k8s", dir, "kustomization.yaml"), "utf8")) as Kustomization;
}
