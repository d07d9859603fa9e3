/**
 * The stacks the `stacks` project's files share (vitest.config.ts's globalSetup): one dev stack
 * (both apps from their sources behind the dev proxy, one sync-api worker) and, where nginx is
 * installed, one production stack (the builds behind nginx's template), each started once for
 * every file that only sends requests through them, instead of once per file. Files that change
 * an app's settings, kill its processes or load it start stacks of their own.
 *
 * Started before the project's first file, both at once; stopped after its last. The files read
 * where they are with `sharedStacks()`.
 */

import { nginxMissing, startDevStack, startProductionStack } from "@repo/testing";
import { inject } from "vitest";
import type { TestProject } from "vitest/node";

/** Where a shared stack answers. */
export interface SharedStack {
  /** The proxy's origin: sync-api's routes, async-api's under `asyncPrefix`. */
  readonly url: string;
  readonly asyncPrefix: string;
}

/** The dev stack also names each app's own origin. */
export interface SharedDevStack extends SharedStack {
  readonly syncUrl: string;
  readonly asyncUrl: string;
}

declare module "vitest" {
  interface ProvidedContext {
    sharedDevStack: SharedDevStack;
    /** Undefined where nginx is missing (the files skip their nginx cases there). */
    sharedProductionStack: SharedStack | undefined;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dev, production] = await Promise.all([
    startDevStack({ syncWorkers: 1 }),
    nginxMissing() ? undefined : startProductionStack(),
  ]);
  project.provide("sharedDevStack", {
    url: dev.url,
    asyncPrefix: dev.asyncPrefix,
    syncUrl: dev.syncUrl,
    asyncUrl: dev.asyncUrl,
  });
  project.provide("sharedProductionStack", production && { url: production.url, asyncPrefix: production.asyncPrefix });
  return async () => {
    await Promise.all([dev.stop(), production?.stop()]);
  };
}

/** The shared stacks, for a file of the `stacks` project. */
export function sharedStacks(): { dev: SharedDevStack; production: SharedStack | undefined } {
  return { dev: inject("sharedDevStack"), production: inject("sharedProductionStack") };
}
