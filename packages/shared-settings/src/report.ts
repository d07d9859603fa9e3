import type { Layer } from "./layer.ts";
import { isPlainObject, sourceOf } from "./merge.ts";
import { isSecretKey, REDACTED } from "./secrets.ts";

/** What a report needs of a successful resolution. */
export interface ResolvedSettings {
  readonly settings: unknown;
  readonly sources: ReadonlyMap<string, string>;
  readonly layers: readonly Layer[];
  readonly secrets: readonly string[];
}

export interface SettingRow {
  readonly key: string;
  /** The value, or REDACTED for a secret. */
  readonly value: unknown;
  /** The layer it came from, or "schema default" for a value no layer set. */
  readonly source: string;
}

/** Every resolved value (objects flattened to their leaves) with its source, secrets redacted. */
export function settingRows(resolution: ResolvedSettings): SettingRow[] {
  const rows: SettingRow[] = [];
  const walk = (value: unknown, path: string) => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key);
      return;
    }
    rows.push({
      key: path,
      value: isSecretKey(resolution.secrets, path) ? REDACTED : value,
      source: sourceOf(resolution.sources, path) ?? "schema default",
    });
  };
  walk(resolution.settings, "");
  return rows;
}

/** The text `pnpm settings <app>` prints: the layers in order, then each value and its source. */
export function formatSettingsReport(app: string, resolution: ResolvedSettings, environment: string): string {
  const rows = settingRows(resolution).map((row) => ({
    ...row,
    shown: JSON.stringify(row.value) ?? String(row.value),
  }));
  const keyWidth = Math.max(3, ...rows.map((r) => r.key.length));
  const valueWidth = Math.min(48, Math.max(5, ...rows.map((r) => r.shown.length)));
  const lines = [
    `${app} settings (NODE_ENV=${environment})`,
    `layers, first to last: ${resolution.layers.map((l) => l.name).join(" → ")}`,
    "",
    `${"KEY".padEnd(keyWidth)}  ${"VALUE".padEnd(valueWidth)}  SOURCE`,
    ...rows.map((r) => `${r.key.padEnd(keyWidth)}  ${r.shown.padEnd(valueWidth)}  ${r.source}`),
  ];
  return lines.join("\n");
}
