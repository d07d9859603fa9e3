/**
 * The notes resource as fault-suite traffic: reads and writes among the requests, so that
 * "nothing lost" can be checked after each fault.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Note } from "@repo/contracts";
import { rawRequest } from "@repo/testing";
import { expect } from "vitest";
import type { Outcome } from "./traffic.ts";

/** A read of the notes. */
export const noteRead = () => ({ method: "GET", target: "/notes?limit=5" });

/** A note written, request `i` of the traffic, with a token granting the notes' write scope. */
export const noteWrite = (i: number, token: string) => ({
  method: "POST",
  target: "/notes",
  headers: [
    ["Content-Type", "application/json"],
    ["Authorization", `Bearer ${token}`],
  ] as [string, string][],
  body: JSON.stringify({ title: `note ${i}`, body: `written under load, request ${i}` }),
});

/**
 * Notes written one after another through `origin`, each with a body, until `stop()`, which
 * resolves with every answer's status (or the error of a request that got none).
 */
export function startNoteWrites(origin: string, token: string) {
  const answers: { status?: number | undefined; error?: string }[] = [];
  let writing = true;
  const loop = (async () => {
    for (let i = 0; writing; i++) {
      answers.push(
        await rawRequest(origin, noteWrite(i, token)).then(
          (answer) => ({ status: answer?.status }),
          (error: unknown) => ({ error: String(error) }),
        ),
      );
      await sleep(50);
    }
  })();
  return {
    async stop() {
      writing = false;
      await loop;
      return answers;
    },
  };
}

/** Every note the traffic was told was created, as it was created. */
function created(outcomes: readonly Outcome[]) {
  return outcomes
    .filter((o) => o.answer?.status === 201)
    .map((o) => Note.parse(JSON.parse(o.answer?.text ?? "")))
    .map(({ id, title, body }) => ({ id, title, body }));
}

/** Every note the API lists now. */
async function listed(stack: { readonly url: string }) {
  const notes: { id: number; title: string; body: string }[] = [];
  let cursor: string | null = null;
  do {
    const answer = await rawRequest(stack.url, {
      method: "GET",
      target: `/notes?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    });
    expect(answer?.status).toBe(200);
    const page = JSON.parse(answer?.text ?? "") as { items: Note[]; next: string | null };
    notes.push(...page.items.map(({ id, title, body }) => ({ id, title, body })));
    cursor = page.next;
  } while (cursor);
  return notes;
}

/** No note a client was told about is missing or different. */
export async function expectNothingLost(stack: { readonly url: string }, outcomes: readonly Outcome[]) {
  const now = new Map((await listed(stack)).map((note) => [note.id, note]));
  const lost = created(outcomes).filter((note) => JSON.stringify(now.get(note.id)) !== JSON.stringify(note));
  expect(lost).toEqual([]);
}
