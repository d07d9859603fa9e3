/**
 * The markers that say which lines of a shared file belong to the examples, in the comment syntax
 * of the file's language (`//` in TypeScript and JavaScript, `#` in YAML, nginx and shell files,
 * `<!-- -->` in Markdown and HTML):
 *
 * - a region, whole lines from `// #region example` to `// #endregion example` (both included);
 * - one line, ending in the comment `// #example` (an import, a list entry: what a formatter keeps
 *   on one line and an import sorter moves as a whole), optionally with a reason after a colon
 *   (`// #example: why`).
 *
 * Regions do not nest: a region inside a region, an end without a start or a start without an end
 * is a mistake the removal refuses to guess about.
 */

const COMMENT = String.raw`(?:\/\/|#|<!--)`;
const REGION_START = new RegExp(String.raw`^\s*${COMMENT}\s*#region example\b`);
const REGION_END = new RegExp(String.raw`^\s*${COMMENT}\s*#endregion example\b`);
// A Markdown table row carries it as its last cell (`| … | <!-- #example --> |`): a comment line
// would end the table.
const LINE = new RegExp(String.raw`${COMMENT}\s*#example(?::[^>]*)?\s*(?:-->\s*\|?)?\s*$`);
/** Any marker at all, well placed or not: what the balance check and the leftovers check look for. */
export const ANY_MARKER = /#(?:end)?region example\b|(?:\/\/|#|<!--)\s*#example\b/;

/** A marker out of place: the file's line (1-based) and what is wrong there. */
export interface MarkerProblem {
  readonly line: number;
  readonly problem: string;
}

/** What removing the marked lines of one file gives. */
export interface Unmarked {
  /** The text without the marked lines; the same string when nothing is marked. */
  readonly text: string;
  readonly problems: readonly MarkerProblem[];
}

/** `text` without its example lines, or the problems that stop their removal. */
export function removeMarked(text: string): Unmarked {
  const lines = text.split("\n");
  const kept: string[] = [];
  const problems: MarkerProblem[] = [];
  let openedAt: number | undefined;
  // Right after a cut, a blank line that would follow another blank line goes too.
  let cut = false;
  lines.forEach((line, index) => {
    const number = index + 1;
    if (REGION_START.test(line)) {
      if (openedAt !== undefined) {
        problems.push({ line: number, problem: `a region starts inside the region opened on line ${openedAt}` });
      }
      openedAt = number;
      cut = true;
    } else if (REGION_END.test(line)) {
      if (openedAt === undefined) problems.push({ line: number, problem: "a region ends that never started" });
      openedAt = undefined;
    } else if (LINE.test(line)) {
      cut = true;
    } else if (ANY_MARKER.test(line)) {
      problems.push({
        line: number,
        problem: "a marker out of place (a region marker on its own line; `#example` last)",
      });
    } else if (openedAt === undefined) {
      if (!(cut && line.trim() === "" && (kept.at(-1)?.trim() ?? "") === "")) kept.push(line);
      cut = false;
    }
  });
  if (openedAt !== undefined) problems.push({ line: openedAt, problem: "a region starts and never ends" });
  return { text: problems.length > 0 ? text : kept.join("\n"), problems };
}
