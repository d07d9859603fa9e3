/**
 * The rename itself: the template's scope and name become the project's, in every text file.
 * Both are distinctive strings (`@repo/`, `api-starter`), so a plain replacement finds every
 * place they are used: package names and imports, tsconfig/vitest/turbo/biome config, the
 * Dockerfile's filters, compose project names, the OpenAPI title, the README title, docs, CI.
 * CI's tools cache (.ci/run's ~/.cache/api-starter-ci) is renamed too: .ci/run reinstalls Node
 * and pnpm there when the pinned versions differ, so two projects sharing one would take turns
 * reinstalling.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectFiles, readText } from "./files.ts";

/** What the template is called before init-project: its packages' scope and its own name. */
export const TEMPLATE = { scope: "@repo", name: "api-starter" } as const;

/** What the project is called now, read from the root package.json. */
export interface ProjectState {
  readonly name: string;
  /** Still the template: its internal packages are `@repo/*`. */
  readonly isTemplate: boolean;
}

/**
 * The root package.json names the workspace's scope (`--filter @repo/…`, `--conditions=@repo/source`
 * in its scripts), and init-project writes it last, so it says whether the rename has happened, even after a run stopped half-way.
 */
export function projectState(root: string): ProjectState {
  const text = readFileSync(join(root, "package.json"), "utf8");
  const { name } = JSON.parse(text) as { name: string };
  return { name, isTemplate: text.includes(`${TEMPLATE.scope}/`) };
}

/**
 * `api-starter` where it names this project, not where it names the template it came from: a
 * repository reference (`github.com/<owner>/api-starter`, `degit <owner>/api-starter`).
 */
const TEMPLATE_NAME = /(?<!(?:github\.com\/|gitlab\.com\/|degit\s+)[\w.-]+\/)api-starter/g;

/**
 * Files that keep the template's names: the MIT notice must stay with the code it covers, and
 * init-project itself names the template it renames.
 */
export function keepsTemplateNames(path: string): boolean {
  return path === "LICENSE" || path === "scripts/init-project.ts" || path.startsWith("scripts/init-project/");
}

/**
 * Files a later step writes anew from the renamed ones: `pnpm install` writes the lockfile, in the
 * order it keeps (the new scope sorts elsewhere), which a replacement in place would not be.
 */
const REGENERATED = new Set(["pnpm-lock.yaml"]);

/** `text` (the file at `path`) with the template's scope and name replaced by `name`. */
export function renameText(path: string, text: string, name: string): string {
  if (keepsTemplateNames(path) || REGENERATED.has(path)) return text;
  const renamed = text.replaceAll(`${TEMPLATE.scope}/`, `@${name}/`).replace(TEMPLATE_NAME, name);
  if (renamed === text || !(path === "package.json" || path.endsWith("/package.json"))) return renamed;
  return packageJson(renamed, path === "package.json" ? name : undefined);
}

const DEPENDENCY_FIELDS = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"];

/**
 * A renamed package.json with its dependencies in order again (as pnpm keeps them: the new scope
 * sorts elsewhere), and the root package's description saying what the project is, not that it
 * is a starter.
 */
function packageJson(text: string, rootName: string | undefined): string {
  const json = JSON.parse(text) as Record<string, unknown>;
  for (const field of DEPENDENCY_FIELDS) {
    const dependencies = json[field];
    if (typeof dependencies !== "object" || dependencies === null) continue;
    json[field] = Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  if (rootName !== undefined) {
    json.description = `${rootName}: a sync API (Express on a pre-fork cluster) and an async API (Fastify) behind one proxy.`;
  }
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Renames every text file under `root`; returns the files it changed. */
export function renameProject(root: string, name: string): string[] {
  // The root package.json goes last: until it is written, projectState still says "template",
  // so a run that stopped half-way renames the rest when it is run again.
  const files = projectFiles(root).sort((a, b) => Number(a === "package.json") - Number(b === "package.json"));
  const changed: string[] = [];
  for (const file of files) {
    const text = readText(join(root, file));
    if (text === undefined) continue;
    const renamed = renameText(file, text, name);
    if (renamed === text) continue;
    writeFileSync(join(root, file), renamed);
    changed.push(file);
  }
  return changed;
}
