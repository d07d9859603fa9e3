import { compute } from "@repo/contracts";
import { route } from "../http/route.ts";

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

export const computeRoutes = route(compute, {
  primes: ({ query }) => {
    const started = performance.now();
    const { count, largest } = countPrimes(query.below);
    return { status: 200, body: { below: query.below, count, largest, elapsedMs: performance.now() - started } };
  },
});
