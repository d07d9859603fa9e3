/**
 * `--import` this file (through NODE_OPTIONS, so cluster workers inherit it) to have every module
 * the process resolves, by `import` or `require`, appended to the file named by
 * `REPO_TESTING_LOADED_MODULES`, one a line, `<url> <the importer's url>`: test/tracing.test.ts reads it to prove
 * what never loaded.
 */
import { appendFileSync } from "node:fs";
import { registerHooks } from "node:module";

const out = process.env.REPO_TESTING_LOADED_MODULES;
if (out) {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      appendFileSync(out, `${resolved.url} ${context.parentURL ?? ""}\n`);
      return resolved;
    },
  });
}
