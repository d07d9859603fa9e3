/**
 * `--no-examples`: removes the examples the manifest (examples.ts) and the markers (markers.ts)
 * describe. It plans everything first and writes nothing when it finds a reason not to: a marker
 * out of place, or code that stays behind and still imports (or a doc that still links to) a file
 * it would delete. Either means the project's own code grew around the examples, and removing
 * them would leave it broken; the developer decides, the removal does not guess.
 *
 * Idempotent: once removed, nothing is marked and no example path exists, so it changes nothing.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { EXAMPLE_IDENTIFIERS, EXAMPLE_JSON_KEYS, isExamplePath, keepsExampleNames } from "./examples.ts";
import { projectFiles, readText } from "./files.ts";
import { removeMarked } from "./markers.ts";

/** What removing the examples would do, or why it will not. */
export interface RemovalPlan {
  /** Files to delete (relative paths). */
  readonly deletes: readonly string[];
  /** Files to rewrite, with their new text. */
  readonly edits: ReadonlyMap<string, string>;
  /** Why the removal cannot be done cleanly, one line each (file:line: what, and what to do). */
  readonly problems: readonly string[];
}

/** Relative imports in code (`from "./x.ts"`, `import("./x.ts")`) and relative links in Markdown. */
const CODE_REFERENCE = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["'](\.\.?\/[^"']+)["']/g;
const MARKDOWN_LINK = /\]\((?!https?:|#|mailto:)([^)\s#]+)/g;

/** The files `text` (the file at `path`) refers to by a relative path, with the line of each. */
function references(path: string, text: string): { target: string; line: number }[] {
  const pattern = /\.(?:[cm]?[jt]sx?)$/.test(path) ? CODE_REFERENCE : path.endsWith(".md") ? MARKDOWN_LINK : undefined;
  if (!pattern) return [];
  const found: { target: string; line: number }[] = [];
  for (const match of text.matchAll(pattern)) {
    const target = posix.normalize(posix.join(posix.dirname(path), match[1] as string));
    found.push({ target, line: text.slice(0, match.index).split("\n").length });
  }
  return found;
}

/** `import { … } from` and `export { … } from` in code: an example's name taken from a package. */
const NAMED_IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?\{([^}]*)\}\s*from\s*["']([^"']+)["']/gm;

function namedImports(path: string, text: string): { names: string; from: string; line: number }[] {
  if (!/\.(?:[cm]?[jt]sx?)$/.test(path)) return [];
  return [...text.matchAll(NAMED_IMPORT)].map((match) => ({
    names: match[1] as string,
    from: match[2] as string,
    line: text.slice(0, match.index).split("\n").length,
  }));
}

/** A JSON file without the keys that belong to the examples. */
function withoutExampleKeys(path: string, text: string): string {
  const keys = EXAMPLE_JSON_KEYS[path];
  if (!keys) return text;
  const json = JSON.parse(text) as Record<string, unknown>;
  let changed = false;
  for (const key of keys) {
    const parent = key.slice(0, -1).reduce<unknown>((node, name) => (node as Record<string, unknown>)?.[name], json);
    const last = key.at(-1) as string;
    if (typeof parent === "object" && parent !== null && last in parent) {
      delete (parent as Record<string, unknown>)[last];
      changed = true;
    }
  }
  return changed ? `${JSON.stringify(json, null, 2)}\n` : text;
}

/** Works out the removal in `root` without writing anything. */
export function planRemoval(root: string): RemovalPlan {
  const files = projectFiles(root);
  const deletes = files.filter(isExamplePath);
  const edits = new Map<string, string>();
  const problems: string[] = [];
  const kept: { path: string; text: string }[] = [];
  for (const path of files) {
    if (isExamplePath(path) || path.startsWith("scripts/init-project")) continue;
    const original = readText(join(root, path));
    if (original === undefined) continue;
    const unmarked = removeMarked(original);
    for (const { line, problem } of unmarked.problems) problems.push(`${path}:${line}: ${problem}`);
    const text = withoutExampleKeys(path, unmarked.text);
    if (text !== original) edits.set(path, text);
    kept.push({ path, text });
  }
  const whatToDo = "remove that use, or mark it as the examples' (docs/removing-examples.md)";
  for (const { path, text } of kept) {
    for (const { target, line } of references(path, text)) {
      if (isExamplePath(target) && existsSync(join(root, target))) {
        problems.push(`${path}:${line}: refers to ${target}, which --no-examples deletes: ${whatToDo}`);
      }
    }
    for (const { names, from, line } of namedImports(path, text)) {
      if (EXAMPLE_IDENTIFIERS.test(names)) {
        problems.push(`${path}:${line}: imports an example's name from ${from} ({${names.trim()}}): ${whatToDo}`);
      }
    }
  }
  return { deletes, edits, problems };
}

/** Applies a plan with no problems: deletes, then rewrites. Returns the files it changed. */
export function applyRemoval(root: string, plan: RemovalPlan): string[] {
  if (plan.problems.length > 0) throw new Error("a removal plan with problems cannot be applied");
  for (const path of plan.deletes) rmSync(join(root, path), { force: true });
  for (const [path, text] of plan.edits) writeFileSync(join(root, path), text);
  removeEmptyDirectories(root, plan.deletes);
  return [...plan.deletes, ...plan.edits.keys()].sort();
}

/** The example folders, once their files are gone. */
function removeEmptyDirectories(root: string, deleted: readonly string[]): void {
  const directories = new Set(deleted.map((path) => dirname(path)));
  for (const directory of [...directories].sort((a, b) => b.length - a.length)) {
    let current = directory;
    while (current !== "." && isEmptyDirectory(join(root, current))) {
      rmSync(join(root, current), { recursive: true });
      current = dirname(current);
    }
  }
}

function isEmptyDirectory(path: string): boolean {
  return existsSync(path) && readdirSync(path).length === 0;
}

/**
 * Lines that still name an example, in the files a removal keeps (`file:line: text`): with the
 * edits of a plan (what the removal would leave), or as the files are (after one).
 */
export function exampleLeftovers(root: string, edits: ReadonlyMap<string, string> = new Map()): string[] {
  const found: string[] = [];
  for (const path of projectFiles(root)) {
    if (isExamplePath(path) || keepsExampleNames(path)) continue;
    const text = edits.get(path) ?? readText(join(root, path));
    text?.split("\n").forEach((line, index) => {
      if (EXAMPLE_IDENTIFIERS.test(line)) found.push(`${path}:${index + 1}: ${line.trim().slice(0, 160)}`);
    });
  }
  return found;
}
