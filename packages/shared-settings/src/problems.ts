import type { Problem } from "./layer.ts";

/** Thrown when an app's settings are invalid: every problem at once, each with its key and source. */
export class SettingsError extends Error {
  readonly app: string;
  readonly problems: readonly Problem[];

  constructor(app: string, problems: readonly Problem[]) {
    super(formatProblems(app, problems));
    this.name = "SettingsError";
    this.app = app;
    this.problems = problems;
  }
}

export function formatProblems(app: string, problems: readonly Problem[]): string {
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  const lines = problems.map((p) => `  - ${p.key} (from ${p.source}): ${p.message}`);
  return [`Invalid settings for ${app} (${count}):`, ...lines].join("\n");
}
