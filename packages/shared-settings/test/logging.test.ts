/** The apps' logger in a real process, with stdout a real pipe. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/log-then-exit.ts", import.meta.url));
const packageDir = fileURLToPath(new URL("../", import.meta.url));

describe("createLogger's destination", () => {
  it("lets the process exit when the reader of its stdout pipe has gone", async () => {
    const child = spawn(process.execPath, ["--conditions=@repo/source", fixture], {
      cwd: packageDir,
      stdio: ["pipe", "pipe", "inherit"],
    });
    try {
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      await new Promise((resolve) => child.once("spawn", resolve));
      // The reader goes away; then the process logs and exits in the same tick, with lines still queued.
      child.stdout.destroy();
      child.stdin.write("go\n");
      // A hang, not a speed figure: the exit flush once retried a write on the dead pipe forever.
      const outcome = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("hung"), 5_000))]);
      expect(outcome).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("writes every queued line before the process exits", async () => {
    const child = spawn(process.execPath, ["--conditions=@repo/source", fixture], {
      cwd: packageDir,
      stdio: ["pipe", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const readAll = new Promise((resolve) => child.stdout.once("close", resolve));
    child.stdin.write("go\n");
    await readAll;
    const messages = output
      .split("\n")
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(["first", "second"]);
  });
});
