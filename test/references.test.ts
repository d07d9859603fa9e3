/**
 * No file refers to a file that is not in the repository: a project made from the template gets
 * exactly what git tracks, so a link, a path in the docs or a relative path in code that points
 * elsewhere (a design record kept beside the repository, a folder on one developer's machine) is
 * broken for everyone else.
 */
import { readFileSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { repoRoot } from "@repo/testing";
import { describe, expect, it } from "vitest";
import { readText } from "../scripts/init-project/files.ts";
import { trackedFiles } from "./support/tracked-files.ts";

const tracked = trackedFiles();
const trackedSet = new Set(tracked);
const topLevel = new Set(tracked.map((file) => file.split("/")[0]));

/** A tracked file, or a directory holding one. */
function inRepository(path: string): boolean {
  const clean = path.replace(/\/$/, "");
  return clean === "" || trackedSet.has(clean) || tracked.some((file) => file.startsWith(`${clean}/`));
}

const texts = tracked.flatMap((file) => {
  const text = readText(join(repoRoot, file));
  return text === undefined ? [] : [{ file, text }];
});
const markdown = texts.filter(({ file }) => file.endsWith(".md"));

/** A Markdown file's lines outside fenced code blocks, with their line numbers. */
function proseLines(text: string): { line: string; number: number }[] {
  let fenced = false;
  return text.split("\n").flatMap((line, index) => {
    if (/^ {0,3}(```|~~~)/.test(line)) {
      fenced = !fenced;
      return [];
    }
    return fenced ? [] : [{ line, number: index + 1 }];
  });
}

/** GitHub's anchors for a Markdown file's headings (lowercase, punctuation dropped, spaces to '-'). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const { line } of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return found;
}

describe("references to files", () => {
  it("every relative link in the Markdown files reaches a file (and heading) in the repository", () => {
    const broken: string[] = [];
    for (const { file, text } of markdown) {
      for (const { line, number } of proseLines(text)) {
        const withoutCode = line.replace(/`[^`]*`/g, "");
        for (const [, target = ""] of withoutCode.matchAll(
          /\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)|^\s*\[[^\]]+\]:\s*(\S+)/g,
        )) {
          if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
          const [path = "", anchor] = target.split("#");
          const resolved = path === "" ? file : posix.normalize(posix.join(posix.dirname(file), decodeURI(path)));
          const where = `${file}:${number}: ${target}`;
          if (resolved.startsWith("../") || !inRepository(resolved)) broken.push(`${where} (no such file)`);
          else if (
            anchor &&
            resolved.endsWith(".md") &&
            !anchors(readFileSync(join(repoRoot, resolved), "utf8")).has(anchor)
          ) {
            broken.push(`${where} (no such heading)`);
          }
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("every repository path the Markdown files name in code spans exists", () => {
    const missing: string[] = [];
    for (const { file, text } of markdown) {
      for (const { line, number } of proseLines(text)) {
        for (const [, span = ""] of line.matchAll(/`([^`\s]+)`/g)) {
          // Paths from the repository's root (`apps/sync-api/src/main.ts`, `infra/`); not patterns
          // or placeholders (`apps/<app>/…`, `*.test.ts`), and not app-relative paths (`src/…`).
          if (!/^[\w.@-]+\/[\w.@/-]*$/.test(span) || !topLevel.has(span.split("/")[0] ?? "")) continue;
          if (!inRepository(span)) missing.push(`${file}:${number}: ${span}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("every Markdown file named anywhere is in the repository", () => {
    const missing: string[] = [];
    for (const { file, text } of texts) {
      text.split("\n").forEach((line, index) => {
        for (const [name = ""] of line.replace(/\bhttps?:\/\/\S+/g, "").matchAll(/[\w./-]*[\w-]\.md\b/g)) {
          const path = name.replace(/^(\.{1,2}\/)+/, "");
          if (!tracked.some((candidate) => candidate === path || candidate.endsWith(`/${path}`))) {
            missing.push(`${file}:${index + 1}: ${name}`);
          }
        }
      });
    }
    expect(missing).toEqual([]);
  });

  it("no relative path in a file leads out of the repository", () => {
    const outside: string[] = [];
    for (const { file, text } of texts) {
      text.split("\n").forEach((line, index) => {
        const where = `${file}:${index + 1}: ${line.trim()}`;
        // The folder beside the repository that a developer's checkout may have and a copy has not.
        if (/\.\.\/shared(?![\w-])/.test(line)) outside.push(where);
        for (const [, path = ""] of line.matchAll(/["'`(]((?:\.\.\/)+[^"'`)\s]*)/g)) {
          const resolved = relative(repoRoot, join(repoRoot, dirname(file), path));
          if (resolved.startsWith("..")) outside.push(where);
        }
      });
    }
    expect(outside).toEqual([]);
  });
});
