/**
 * The project's own text files, found by walking the tree rather than asking git: a project made
 * with `degit` has no .git. What tools make (dependencies, builds, caches, reports) is skipped.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** Directories no project file lives in: installed, built, cached or reported by a tool. */
const GENERATED = new Set([
  ".git",
  ".turbo",
  "coverage",
  "dist",
  "node_modules",
  "out",
  "playwright-report",
  "reports",
  "test-results",
]);

/** Every file under `root` outside the generated directories, as paths relative to it ("/"-separated). */
export function projectFiles(root: string, dir = root): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !GENERATED.has(entry.name)) files.push(...projectFiles(root, path));
    else if (entry.isFile()) files.push(relative(root, path).split("\\").join("/"));
  }
  return files.sort();
}

/** The file's text, or undefined for a binary file (a NUL byte in its first 8 KiB, as git decides). */
export function readText(path: string): string | undefined {
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 8192).includes(0)) return undefined;
  return bytes.toString("utf8");
}
