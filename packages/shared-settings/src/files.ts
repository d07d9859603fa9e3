import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv } from "node:util";
import { variableLayers } from "./env-vars.ts";
import { environmentOf } from "./environment.ts";
import type { Layer, LayerOutcome, LayerSource, Problem } from "./layer.ts";
import { isPlainObject } from "./merge.ts";

function pathOf(file: string | URL): string {
  return file instanceof URL ? fileURLToPath(file) : file;
}

/** Reads a file, or undefined when it does not exist; other errors (permissions, a folder) throw. */
function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * A layer read from a JSON file, such as the developer's own git-ignored `settings.local.json`.
 * A required file that is missing is an error; an optional one is skipped.
 */
export function jsonFile(
  file: string | URL,
  { optional = false, name }: { optional?: boolean; name?: string } = {},
): LayerSource {
  return (): LayerOutcome => {
    const path = pathOf(file);
    const source = name ?? path;
    let text: string | undefined;
    try {
      text = readIfExists(path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      return { layers: [], problems: [{ key: "(file)", source, message: `cannot read it (${reason})` }] };
    }
    if (text === undefined) {
      return optional
        ? { layers: [], problems: [] }
        : { layers: [], problems: [{ key: "(file)", source, message: "required settings file is missing" }] };
    }
    let values: unknown;
    try {
      values = JSON.parse(text);
    } catch {
      return { layers: [], problems: [{ key: "(file)", source, message: "malformed JSON" }] };
    }
    if (!isPlainObject(values)) {
      return { layers: [], problems: [{ key: "(file)", source, message: "expected a JSON object of settings" }] };
    }
    return { layers: [{ name: source, values }], problems: [] };
  };
}

/**
 * The `.env` files in an app's folder, in dotenv-flow's order (later wins): `.env`, `.env.local`,
 * `.env.<NODE_ENV>`, `.env.<NODE_ENV>.local`. `.env.local` is skipped under NODE_ENV=test, so tests
 * do not depend on one machine's overrides. Real environment variables come after, and win.
 * Only the app's own variables are read, with the same rules as the environment's.
 */
export function dotenvFiles(dir: string | URL): LayerSource {
  return (context): LayerOutcome => {
    const environment = environmentOf(context.env);
    const mode = typeof environment === "string" ? environment : undefined;
    const names = [
      ".env",
      mode === "test" ? undefined : ".env.local",
      mode && `.env.${mode}`,
      mode && `.env.${mode}.local`,
    ];
    const layers: Layer[] = [];
    const problems: Problem[] = [];
    for (const name of names) {
      if (!name) continue;
      const path = join(pathOf(dir), name);
      let text: string | undefined;
      try {
        text = readIfExists(path);
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? String(error);
        problems.push({ key: "(file)", source: name, message: `cannot read it (${reason})` });
        continue;
      }
      if (text === undefined) continue;
      const found = variableLayers(parseEnv(text), context, (variable) => `${name} ${variable}`);
      layers.push(...found.layers);
      problems.push(...found.problems);
    }
    return { layers, problems };
  };
}
