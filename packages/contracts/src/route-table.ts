/**
 * An app's main route table serves exactly its half of the public API (`api.sync` or
 * `api.async`): checked by the compiler first, with a message naming the controller, and at
 * start-up for what slips past it (JavaScript, `any`, casts).
 */
import type { Controller } from "./contract.ts";

/** A route table, as far as this check is concerned: its entries' controllers. */
type Table = readonly { readonly controller: Controller }[];

/** The names of a list of controllers, as a union of string literals. */
export type ControllerNames<C extends readonly Controller[]> = C[number]["name"];

/**
 * `true` when the table serves exactly the declared controllers; otherwise a short message naming
 * what is left out (or served without being declared). Used through {@link AssertServes}.
 */
export type ServesExactly<App extends string, Declared extends readonly Controller[], Served extends Table> = [
  Exclude<ControllerNames<Declared>, Served[number]["controller"]["name"]>,
] extends [never]
  ? [Exclude<Served[number]["controller"]["name"], ControllerNames<Declared>>] extends [never]
    ? true
    : `${App}'s main route table serves ${Exclude<Served[number]["controller"]["name"], ControllerNames<Declared>>}, which api does not declare`
  : `${App}'s main route table leaves out ${Exclude<ControllerNames<Declared>, Served[number]["controller"]["name"]>}`;

/**
 * A compile-time assertion: `AssertServes<ServesExactly<…>>` is an error unless the check is
 * `true`, and the error shows the check's message, e.g.
 * `Type '"sync-api's main route table leaves out compute"' does not satisfy the constraint 'true'`.
 */
export type AssertServes<Check extends true> = Check;

/**
 * The start-up check: the table's controllers are exactly the declared ones, by name. Throws an
 * error naming what is left out or extra; returns the table unchanged.
 */
export function servesExactly<const T extends Table>(app: string, declared: readonly Controller[], table: T): T {
  const served = new Set(table.map((entry) => entry.controller.name));
  const names = new Set(declared.map((ctrl) => ctrl.name));
  const missing = [...names].filter((name) => !served.has(name));
  const extra = [...served].filter((name) => !names.has(name));
  if (missing.length > 0) throw new Error(`${app}'s main route table leaves out ${missing.join(", ")}`);
  if (extra.length > 0)
    throw new Error(`${app}'s main route table serves ${extra.join(", ")}, which api does not declare`);
  return table;
}
