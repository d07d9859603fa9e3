/** The rules of `pnpm init-project <name>`: which names it takes, and what it renames. */
import { describe, expect, it } from "vitest";
import { invalidNameReason } from "../scripts/init-project/name.ts";
import { renameText, TEMPLATE } from "../scripts/init-project/rename.ts";

describe("init-project's names", () => {
  it.each(["acme", "my-api", "my_api", "api2"])("takes %s", (name) => {
    expect(invalidNameReason(name)).toBeUndefined();
  });

  it.each([
    ["Acme", "name can no longer contain capital letters (npm's package name rules)"],
    [".acme", "name cannot start with a period (npm's package name rules)"],
    ["my api", "name can only contain URL-friendly characters (npm's package name rules)"],
    ["http", "http is a core module name (npm's package name rules)"],
    ["node_modules", "node_modules is not a valid package name (npm's package name rules)"],
    ["@acme/api", "give the name without a scope: the packages become @<name>/…"],
    ["my.api", expect.stringMatching(/^a Docker Compose project name has only lowercase letters/)],
  ])("refuses %s: %s", (name, reason) => {
    expect(invalidNameReason(name)).toEqual(reason);
  });
});

describe("init-project's rename", () => {
  const scope = `${TEMPLATE.scope}/`;
  const template = TEMPLATE.name;

  it("renames the scope and the template's name wherever they name this project", () => {
    expect(renameText("a.ts", `import { x } from "${scope}contracts";`, "acme")).toBe(
      'import { x } from "@acme/contracts";',
    );
    expect(renameText(".ci/run", `TOOLS="$HOME/.cache/${template}-ci"`, "acme")).toBe('TOOLS="$HOME/.cache/acme-ci"');
    expect(renameText("infra/docker-compose.yml", `name: ${template}-combined\n`, "acme")).toBe(
      "name: acme-combined\n",
    );
  });

  it("keeps references to the template's repository, the licence, and init-project's own files", () => {
    const references = `npx degit someone/${template} my-api; https://github.com/someone/${template}`;
    expect(renameText("README.md", references, "acme")).toBe(references);
    expect(renameText("LICENSE", `The ${template} contributors`, "acme")).toBe(`The ${template} contributors`);
    expect(renameText("scripts/init-project/rename.ts", `"${scope}"`, "acme")).toBe(`"${scope}"`);
  });

  it("leaves the lockfile to pnpm install, which writes it in its own order", () => {
    const lockfile = `importers:\n  .:\n    devDependencies:\n      '${scope}contracts':\n`;
    expect(renameText("pnpm-lock.yaml", lockfile, "acme")).toBe(lockfile);
  });

  it("sorts a package.json's renamed dependencies and describes the root package as the project", () => {
    const root = JSON.stringify({
      name: template,
      description: "a starter",
      devDependencies: { "@biomejs/biome": "1", [`${scope}contracts`]: "workspace:*" },
    });
    expect(JSON.parse(renameText("package.json", root, "acme"))).toEqual({
      name: "acme",
      description: expect.stringMatching(/^acme: /),
      devDependencies: { "@acme/contracts": "workspace:*", "@biomejs/biome": "1" },
    });
    const app = JSON.stringify({ name: `${scope}app`, description: "an app" });
    expect(JSON.parse(renameText("apps/app/package.json", app, "acme"))).toEqual({
      name: "@acme/app",
      description: "an app",
    });
  });
});
