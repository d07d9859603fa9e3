/**
 * An old Node stops at once with one line saying what is needed: `pnpm install` refuses it
 * (engineStrict against package.json's `engines`), and every root script that runs the project's
 * code checks it first (scripts/check-node.cjs). Without this an old Node fails later and
 * obscurely. The checks run under a real old Node: this machine's system Node, where it is older.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@repo/testing";
import { afterAll, describe, expect, it } from "vitest";
import { killRunning, runToEnd } from "./support/run-to-end.ts";

const CHECK = "node scripts/check-node.cjs && ";
/** Root scripts that only run Biome or tsc, which do not run the project's code. */
const NO_CHECK = new Set(["lint", "format", "typecheck:workspace"]);

const wanted = Number(readFileSync(join(repoRoot, ".nvmrc"), "utf8").trim());
const rootPackage = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  engines: { node: string };
  scripts: Record<string, string>;
};
/** The lowest Node the project runs on: package.json's `engines`, in .nvmrc's major. */
const floor = rootPackage.engines.node.replace(/^>=/, "");
const checkedScripts = Object.keys(rootPackage.scripts).filter((name) => !NO_CHECK.has(name));

function nodeMajor(binary: string): number | undefined {
  try {
    return Number(execFileSync(binary, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" }).trim());
  } catch {
    return undefined;
  }
}

/** A Node older than the project needs: the system's, or any other on PATH. */
function findOldNode(): string | undefined {
  let onPath: string[] = [];
  try {
    onPath = execFileSync("which", ["-a", "node"], { encoding: "utf8" }).split("\n").filter(Boolean);
  } catch {
    // no `which`, or no node on PATH: the usual places still count
  }
  const found = ["/usr/bin/node", "/usr/local/bin/node", ...onPath].find((binary) => {
    const major = nodeMajor(binary);
    return major !== undefined && major < wanted;
  });
  if (!found) console.warn(`\n*** no Node older than ${wanted} on this machine: the old-Node tests are SKIPPED ***\n`);
  return found;
}

const oldNode = findOldNode();
const dir = mkdtempSync(join(tmpdir(), "node-version-"));
afterAll(() => {
  killRunning();
  rmSync(dir, { recursive: true, force: true });
});

/** PATH with the old Node first: what a developer with only an old Node has (pnpm stays as it is). */
function oldNodePath(): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  symlinkSync(oldNode as string, join(bin, "node"));
  return `${bin}:${process.env.PATH}`;
}

/** Runs a command under the old Node; killed (with all it started) after 30 s if it goes on. */
function underOldNode(command: string, args: string[], cwd = repoRoot) {
  return runToEnd(command, args, { cwd, env: { PATH: path }, timeoutMs: 30_000 });
}

const path = oldNode ? oldNodePath() : "";
const MESSAGE = new RegExp(
  `^This project needs Node\\.js ${floor.replaceAll(".", "\\.")} or newer, not \\d+\\.\\d+\\.\\d+: run \`nvm install\` here \\(it reads \\.nvmrc\\), or get Node\\.js ${wanted} from https://nodejs\\.org/$`,
);

describe("the Node version", () => {
  it("is one version everywhere: .nvmrc, package.json's engines, and an install that enforces them", () => {
    expect(rootPackage.engines.node).toMatch(new RegExp(`^>=${wanted}\\.\\d+\\.\\d+$`));
    expect(readFileSync(join(repoRoot, "pnpm-workspace.yaml"), "utf8")).toMatch(/^engineStrict: true$/m);
  });

  it("is checked first by every root script that runs the project's code", () => {
    const unchecked = checkedScripts.filter((name) => !rootPackage.scripts[name]?.startsWith(CHECK));
    expect(unchecked).toEqual([]);
  });

  describe.skipIf(!oldNode)("under an old Node", () => {
    it("check-node.cjs stops with one line naming the Node needed and how to get it", async () => {
      const { code, output } = await underOldNode("node", ["scripts/check-node.cjs"]);
      expect(code).toBe(1);
      expect(output.trim()).toMatch(MESSAGE);
    });

    it.each(checkedScripts)("pnpm %s stops at once with that line", async (name) => {
      const { code, output } = await underOldNode("pnpm", ["--silent", "run", name]);
      expect(code).toBe(1);
      expect(output.trim()).toMatch(MESSAGE);
    });

    it("pnpm install refuses it", async () => {
      // The workspace's own manifest and settings in an empty directory: the engine check comes
      // first, so nothing else of the workspace is needed, and nothing is installed.
      const project = join(dir, "install");
      mkdirSync(project);
      for (const file of ["package.json", "pnpm-workspace.yaml"])
        copyFileSync(join(repoRoot, file), join(project, file));
      const { code, output } = await underOldNode("pnpm", ["install", "--offline"], project);
      expect(code).not.toBe(0);
      expect(output).toContain("ERR_PNPM_UNSUPPORTED_ENGINE");
      expect(output).toContain(`{"node":"${rootPackage.engines.node}"}`);
      expect(existsSync(join(project, "node_modules"))).toBe(false);
    });
  });
});
