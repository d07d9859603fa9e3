/**
 * The examples describe themselves (scripts/init-project/examples.ts and the markers), so that
 * `pnpm init-project <name> --no-examples` can remove them however their code changes. Here, on
 * the repository as it is, without running the removal: every marker is in place, every manifest
 * entry names something, and what the removal would leave mentions no example anywhere. Example
 * code added without its marker fails here, naming the file and line. (test/no-examples.test.ts
 * runs the removal for real, in a copy.)
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@repo/testing";
import { describe, expect, it } from "vitest";
import { EXAMPLE_PATHS } from "../scripts/init-project/examples.ts";
import { exampleLeftovers, planRemoval } from "../scripts/init-project/remove-examples.ts";

describe("the examples' manifest and markers", () => {
  const plan = planRemoval(repoRoot);

  it("mark whole regions and lines only, every region closed, and no kept file needs a removed one", () => {
    expect(plan.problems).toEqual([]);
  });

  it("name only files and folders that exist", () => {
    expect(EXAMPLE_PATHS.filter((path) => !existsSync(join(repoRoot, path)))).toEqual([]);
  });

  it("leave no example identifier in what the removal keeps", () => {
    expect(exampleLeftovers(repoRoot, plan.edits)).toEqual([]);
  });
});
