import { compute, primesBelowTooBig } from "@repo/contracts";
import { route } from "../http/route.ts";
import type { SyncApiSettings } from "../settings/index.ts";

/** The primes below `below`, by the sieve of Eratosthenes: pure CPU, synchronous by nature. */
function countPrimes(below: number): { count: number; largest: number | null } {
  const composite = new Uint8Array(below);
  let count = 0;
  let largest: number | null = null;
  for (let n = 2; n < below; n++) {
    if (composite[n]) continue;
    count++;
    largest = n;
    for (let multiple = n * n; multiple < below; multiple += n) composite[multiple] = 1;
  }
  return { count, largest };
}

/** The endpoint under this deployment's cap: a `below` over `maxBelow` is refused before any work. */
export function computeRoutes({ maxBelow }: SyncApiSettings["compute"]) {
  return route(compute, {
    primes: ({ query }) => {
      if (query.below > maxBelow) throw primesBelowTooBig(maxBelow);
      const started = performance.now();
      const { count, largest } = countPrimes(query.below);
      return { status: 200, body: { below: query.below, count, largest, elapsedMs: performance.now() - started } };
    },
  });
}
