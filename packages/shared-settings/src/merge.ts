import type { Layer, SettingsValues } from "./layer.ts";

/** For every key path set by some layer (`log.level`), the name of the last layer that set it. */
export type Provenance = Map<string, string>;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Merges layers first to last. The rules (documented in docs/settings.md):
 * - plain objects merge key by key, recursively;
 * - arrays and scalars replace what was there (a list is one value, never concatenated);
 * - `undefined` sets nothing.
 * Every leaf remembers the layer that set it last.
 */
export function mergeLayers(layers: readonly Layer[]): {
  values: Record<string, unknown>;
  provenance: Provenance;
} {
  const values: Record<string, unknown> = {};
  const provenance: Provenance = new Map();
  for (const { name, values: layerValues } of layers) {
    mergeInto(values, layerValues, [], name, provenance);
  }
  return { values, provenance };
}

function mergeInto(
  target: Record<string, unknown>,
  source: SettingsValues,
  path: readonly string[],
  layerName: string,
  provenance: Provenance,
): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const keyPath = [...path, key];
    const existing = target[key];
    if (isPlainObject(value)) {
      if (isPlainObject(existing)) {
        mergeInto(existing, value, keyPath, layerName, provenance);
        continue;
      }
      forget(provenance, keyPath);
      const fresh: Record<string, unknown> = {};
      target[key] = fresh;
      mergeInto(fresh, value, keyPath, layerName, provenance);
      // An empty object is a value too: remember who set it.
      if (Object.keys(value).length === 0) provenance.set(keyPath.join("."), layerName);
      continue;
    }
    forget(provenance, keyPath);
    target[key] = Array.isArray(value) ? structuredClone(value) : value;
    provenance.set(keyPath.join("."), layerName);
  }
}

/** Drops what was recorded for a key and everything below it, when a layer replaces it whole. */
function forget(provenance: Provenance, keyPath: readonly string[]): void {
  const key = keyPath.join(".");
  for (const recorded of provenance.keys()) {
    if (recorded === key || recorded.startsWith(`${key}.`)) provenance.delete(recorded);
  }
}

/**
 * The layer that set `key`: its own entry, else the nearest enclosing key's (a whole object set at
 * once), else the layers that set keys below it.
 */
export function sourceOf(provenance: ReadonlyMap<string, string>, key: string): string | undefined {
  for (let k = key; k !== ""; k = k.slice(0, Math.max(0, k.lastIndexOf(".")))) {
    const found = provenance.get(k);
    if (found !== undefined) return found;
  }
  const below = new Set<string>();
  for (const [recorded, layerName] of provenance) {
    if (key === "" || recorded.startsWith(`${key}.`)) below.add(layerName);
  }
  return below.size > 0 ? [...below].join(", ") : undefined;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
