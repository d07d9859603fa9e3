/** Every scenario, in the order `pnpm bench` runs them. */
import type { Scenario } from "../lib/scenario.ts";
import { clusterScaling } from "./cluster-scaling.ts";
import { combinedCost } from "./combined-cost.ts";
import { isolation } from "./isolation.ts";
import { overhead } from "./overhead.ts";
import { postgres } from "./postgres.ts"; // #example
import { proxyCost } from "./proxy-cost.ts";
import { startupMemory } from "./startup-memory.ts";

export const scenarios: readonly Scenario[] = [
  overhead,
  clusterScaling,
  proxyCost,
  combinedCost,
  startupMemory,
  isolation,
  postgres, // #example
];
