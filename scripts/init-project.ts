/**
 * `pnpm init-project <name>`: makes the template this project, in one command. Renames the
 * internal scope (`@repo/` → `@<name>/`) and the template's name (`api-starter` → `<name>`) in
 * every text file, then brings what is derived from them up to date: the lockfile and installed
 * links (`pnpm install`), the committed OpenAPI document (`pnpm openapi`), and the formatting and
 * import order the rename changed (Biome).
 *
 * With `--no-examples`, it also removes the template's examples (the notes resource, the SSE
 * relay, the WebSocket channel, the welcome page) after the rename and before the install, as
 * scripts/init-project/examples.ts and the example markers describe them; it refuses, changing
 * nothing, where the project's code grew around them (docs/removing-examples.md).
 *
 * Idempotent: run again with the same name, it renames nothing and the other steps change nothing
 * (so a run that stopped half-way can simply be run again). A project already named otherwise is
 * refused: past the first run the name is the developer's own, and a blind replacement of it
 * could hit their code.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { applyRemoval, planRemoval } from "./init-project/remove-examples.ts";
import { projectState, renameProject, TEMPLATE } from "./init-project/rename.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

function fail(message: string): never {
  process.stderr.write(`init-project: ${message}\n`);
  process.exit(1);
}

interface Step {
  readonly title: string;
  run(): void;
}

/** A pnpm command in the project, its output shown as it comes; stops init-project if it fails. */
function pnpm(...args: string[]): Step {
  return {
    title: `pnpm ${args.join(" ")}`,
    run() {
      const result = spawnSync("pnpm", args, { cwd: root, stdio: "inherit" });
      if (result.status !== 0) fail(`pnpm ${args.join(" ")} failed; fix that, then run init-project again`);
    },
  };
}

const usage =
  "usage: pnpm init-project <name> [--no-examples]   (the name of your project: lowercase, as npm takes it; --no-examples removes the example resources)";
let parsed: ReturnType<typeof parseArgs>;
try {
  // Each option adds its own steps below, before the install.
  parsed = parseArgs({
    allowPositionals: true,
    allowNegative: true,
    options: { examples: { type: "boolean", default: true } },
  });
} catch (error) {
  fail(`${(error as Error).message}\n${usage}`);
}
const [name, ...extra] = parsed.positionals;
if (name === undefined || extra.length > 0) fail(usage);
// The name rules use a dependency: before `pnpm install`, say so rather than print a stack trace.
const { invalidNameReason } = await import("./init-project/name.ts").catch((error: NodeJS.ErrnoException) => {
  if (error.code === "ERR_MODULE_NOT_FOUND")
    fail("run `pnpm install` first: init-project uses the workspace's dependencies");
  throw error;
});
const invalid = invalidNameReason(name);
if (invalid) fail(`"${name}" cannot be the project's name: ${invalid}`);

const state = projectState(root);
if (!state.isTemplate && state.name !== name) {
  fail(
    `this project is already named "${state.name}": init-project renames the template (${TEMPLATE.name}) once, and will not rename "${state.name}" to "${name}"`,
  );
}

// The removal is planned in full before anything is written: a project it cannot clean is
// refused before the rename too, so a refused run changes nothing.
const removal = parsed.values.examples === false ? planRemoval(root) : undefined;
if (removal && removal.problems.length > 0) {
  fail(`--no-examples cannot remove the examples cleanly, and changed nothing:\n  ${removal.problems.join("\n  ")}`);
}

const steps: Step[] = [
  {
    title: state.isTemplate
      ? `rename ${TEMPLATE.scope}/ to @${name}/ and ${TEMPLATE.name} to ${name}`
      : `already named ${name}: nothing to rename`,
    run() {
      if (!state.isTemplate) return;
      const changed = renameProject(root, name);
      process.stdout.write(`  ${changed.length} files renamed\n`);
    },
  },
  ...(removal
    ? [
        {
          title: "remove the examples (notes, the SSE relay, the WebSocket channel, the welcome page)",
          run() {
            // Planned again after the rename, which changed the files' text.
            const plan = planRemoval(root);
            if (plan.problems.length > 0) fail(`--no-examples:\n  ${plan.problems.join("\n  ")}`);
            const changed = applyRemoval(root, plan);
            process.stdout.write(
              changed.length === 0 ? "  nothing left to remove\n" : `  ${changed.length} files removed or changed\n`,
            );
          },
        },
      ]
    : []),
  // The lockfile names every workspace package, and node_modules links them by name.
  pnpm("install", "--no-frozen-lockfile"),
  // The committed OpenAPI document carries the title.
  pnpm("openapi"),
  // The new scope sorts elsewhere among imports: Biome's formatting and import order, without its
  // lint rules (their findings are the code's to fix, not the rename's).
  pnpm("exec", "biome", "check", "--write", "--linter-enabled=false", "."),
];

for (const step of steps) {
  process.stdout.write(`\ninit-project: ${step.title}\n`);
  step.run();
}
process.stdout.write(`\ninit-project: this is ${name}. Next: pnpm dev, pnpm test, and git init if you have not.\n`);
