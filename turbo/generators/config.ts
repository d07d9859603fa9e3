/**
 * Turborepo's generators (`turbo gen`, a typed Plop config): an endpoint in one command.
 *
 *   pnpm turbo gen sync-endpoint                          # asks for the name
 *   pnpm turbo gen sync-endpoint --args reports           # GET /reports/:id in sync-api
 *   pnpm turbo gen sync-resource --args visits            # POST /visits, GET /visits/:id over a table
 *   pnpm turbo gen async-endpoint --args weather none     # GET /async/weather/:id in async-api
 *   pnpm turbo gen async-endpoint --args weather weather-service   # … calling that upstream
 *
 * Each writes the contract, handler, route-table entry and test (endpoint.ts), then regenerates
 * the OpenAPI document and formats what it wrote. docs/contracts.md, "Adding an endpoint".
 */
import { execFileSync } from "node:child_process";
import type { PlopTypes } from "@turbo/gen";
import { type EndpointAnswers, invalidName, namesOf, type Runtime, writeEndpoint } from "./endpoint.ts";

/** The repository's root, as turbo passes it to every action. */
function rootOf(answers: PlopTypes.Answers): string {
  const root = (answers as { turbo?: { paths?: { root?: string } } }).turbo?.paths?.root;
  if (!root) throw new Error("turbo gen passed no repository root");
  return root;
}

function run(root: string, command: string, args: string[]): void {
  execFileSync(command, args, { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
}

/** The generator's actions: write the endpoint, regenerate OpenAPI, format the files touched. */
function actions(generator: string, runtime: Runtime, fixed: Partial<EndpointAnswers> = {}): PlopTypes.ActionType[] {
  let changed: string[] = [];
  return [
    (answers) => {
      try {
        changed = writeEndpoint(rootOf(answers), runtime, namesOf({ ...(answers as EndpointAnswers), ...fixed }));
      } catch (error) {
        // turbo gen (2.11.9) exits 0 after a failed action, with Plop's garbled follow-ups: a
        // refused name is one plain line and exit 1 instead, so scripts and CI see it.
        process.stderr.write(`turbo gen ${generator}: ${(error as Error).message}; nothing was changed\n`);
        process.exit(1);
      }
      return `wrote ${changed.join(", ")}`;
    },
    (answers) => {
      run(rootOf(answers), "pnpm", ["--silent", "openapi"]);
      return "regenerated packages/contracts/openapi.json (pnpm openapi)";
    },
    (answers) => {
      // Formatting and import order only: a lint finding in the new code is the developer's to see.
      run(rootOf(answers), "pnpm", ["exec", "biome", "check", "--write", "--linter-enabled=false", ...changed]);
      return "formatted them (biome)";
    },
  ];
}

const namePrompt: PlopTypes.PromptQuestion = {
  type: "input",
  name: "name",
  message: "The resource's name (lower-case, hyphens between words: reports, weather-alerts)",
  validate: (input: string) => invalidName(input.trim()) ?? true,
};

export default function generators(plop: PlopTypes.NodePlopAPI): void {
  plop.setGenerator("sync-endpoint", {
    description: "A sync endpoint (blocking work) in sync-api: contract, handler, route, test, OpenAPI",
    prompts: [namePrompt],
    actions: actions("sync-endpoint", "sync"),
  });
  plop.setGenerator("sync-resource", {
    description:
      "A sync resource over a table of its own in sync-api: migration step, contract (create, read), handlers on the database, route, test",
    prompts: [namePrompt],
    actions: actions("sync-resource", "sync", { storage: "db" }),
  });
  plop.setGenerator("async-endpoint", {
    description: "An async endpoint (waiting work) in async-api, optionally calling an upstream",
    prompts: [
      namePrompt,
      {
        type: "input",
        name: "upstream",
        message: "The upstream it calls, by its settings name (none for no upstream)",
        default: "none",
        validate: (input: string) =>
          /^[a-z0-9][a-z0-9-]*$/.test(input.trim()) || "lower-case letters, digits and hyphens, or none",
      },
    ],
    actions: actions("async-endpoint", "async"),
  });
}
