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
import { removeMarked } from "../scripts/init-project/markers.ts";
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
    // The OpenAPI document is written anew from the contracts by init-project (`pnpm openapi`).
    const regenerated = "packages/contracts/openapi.json:";
    expect(exampleLeftovers(repoRoot, plan.edits).filter((line) => !line.startsWith(regenerated))).toEqual([]);
  });
});

describe("the markers' removal", () => {
  it("takes out marked regions and lines, in each language's comments", () => {
    const text = [
      "kept 1",
      "// #region example",
      "gone",
      "// #endregion example",
      "gone too, // #example",
      "gone with a reason // #example: why",
      "kept 2",
      "# #region example",
      "gone",
      "# #endregion example",
      "<!-- #region example -->",
      "gone",
      "<!-- #endregion example -->",
      "| a table row, gone | <!-- #example --> |",
      "kept 3",
    ].join("\n");
    expect(removeMarked(text)).toEqual({ text: "kept 1\nkept 2\nkept 3", problems: [] });
  });

  it("leaves one blank line where a region between blank lines was", () => {
    expect(removeMarked("a\n\n// #region example\nb\n// #endregion example\n\nc").text).toBe("a\n\nc");
  });

  it("refuses markers out of place, naming their lines, and changes nothing then", () => {
    const text = "a\n// #region example\nb\n// #region example\nc // #example, not last\n";
    expect(removeMarked(text)).toEqual({
      text,
      problems: [
        { line: 4, problem: "a region starts inside the region opened on line 2" },
        {
          line: 5,
          problem: "a marker out of place (a region marker on its own line; `#example` last)",
        },
        { line: 4, problem: "a region starts and never ends" },
      ],
    });
    expect(removeMarked("// #endregion example").problems).toEqual([
      { line: 1, problem: "a region ends that never started" },
    ]);
  });
});
