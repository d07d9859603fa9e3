import type { PostgresServer } from "./postgres.ts";
import { waitFor } from "./wait.ts";

/** What a write answered: its status, the Retry-After and content type it came with, the new row's id. */
export interface WriteAnswer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly type: string | null;
  readonly id?: number | undefined;
}

/** Every answer the writers got, and the ids of the writes acknowledged (201). */
export interface WritesThroughRestart {
  readonly answers: readonly Omit<WriteAnswer, "id">[];
  readonly acknowledged: readonly number[];
}

/**
 * The PostgreSQL server restarted under write load: `writers` clients write one after another
 * (`write(i)`) until 20 writes are acknowledged, the server stops, writes are refused (a 503), the
 * server starts again, and 20 more are acknowledged. The caller checks what the app answered (only
 * 201s and 503 problems) and that every acknowledged write is there.
 */
export async function writeThroughRestart(
  server: PostgresServer,
  write: (i: number) => Promise<WriteAnswer>,
  writers = 3,
): Promise<WritesThroughRestart> {
  const acknowledged: number[] = [];
  const answers: Omit<WriteAnswer, "id">[] = [];
  let running = true;
  const writer = async () => {
    for (let i = 0; running; i++) {
      const { id, ...answer } = await write(i);
      answers.push(answer);
      if (answer.status === 201 && id) acknowledged.push(id);
    }
  };
  const all = Array.from({ length: writers }, writer);
  try {
    await waitFor("writes before the restart", async () => (acknowledged.length >= 20 ? true : undefined));
    await server.stop();
    await waitFor("503s while the server is down", async () =>
      answers.some((a) => a.status === 503) ? true : undefined,
    );
    await server.start();
    const before = acknowledged.length;
    await waitFor("writes after the restart", async () => (acknowledged.length >= before + 20 ? true : undefined), {
      timeoutMs: 30_000,
    });
  } finally {
    running = false;
    await Promise.all(all);
  }
  return { answers, acknowledged };
}

/**
 * The answers a write through a restart must not get: anything but a 201 or a 503 problem with
 * `Retry-After: 5` (a 500, a hang's 504, a problem without its retry hint).
 */
export function unexpectedAnswers(answers: readonly Omit<WriteAnswer, "id">[]): Omit<WriteAnswer, "id">[] {
  return answers.filter(
    (a) =>
      a.status !== 201 &&
      !(a.status === 503 && a.retryAfter === "5" && /^application\/problem\+json/.test(a.type ?? "")),
  );
}

/** A JSON POST's answer as a WriteAnswer (the id from its body). */
export async function writeAnswer(response: Response): Promise<WriteAnswer> {
  const body = (await response.json()) as { id?: number };
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    type: response.headers.get("content-type"),
    id: body.id,
  };
}
