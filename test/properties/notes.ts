/**
 * The property suite's parts that are about the notes resource: the model of the notes the API
 * confirmed (nothing lost or changed behind its back), and the hostile bodies aimed at its
 * validation (sizes, depths and encodings its schemas refuse).
 */
import { Note, type Note as NoteType, notes } from "@repo/contracts";
import { type RawResponse, rawRequest } from "@repo/testing";
import { type HostileCase, hostile, JSON_TYPE, NO_SUCH_ID } from "./hostile.ts";
import { json } from "./invariants.ts";
import type { GeneratedRequest } from "./requests.ts";

const NOTE = JSON.stringify({ title: "t", body: "b" });

/**
 * The notes the API confirmed: every answer that shows a note updates it, and every answer about
 * a note must agree with it. Built from answers only, so fast-check's replays keep it true.
 */
export class NotesModel {
  readonly notes = new Map<number, Note>();

  /** What this answer says about notes, checked against what came before; then remembered. */
  observe(request: GeneratedRequest, answer: RawResponse): string[] {
    const found: string[] = [];
    const body = answer.status < 300 ? json(answer) : { ok: false as const };
    const note = body.ok ? Note.safeParse(body.value) : undefined;
    const contract = request.endpoint?.endpoint;
    const id = Number(/^\/notes\/(\d+)(?:\?|$)/.exec(request.target)?.[1]);
    if (note?.success && (answer.status === 201 || (answer.status === 200 && request.method === "PATCH"))) {
      if (request.kind === "valid" && request.parsedBody !== undefined) {
        const sent = request.parsedBody as { title?: string; body?: string };
        const before = this.notes.get(note.data.id);
        const expected = { title: sent.title ?? before?.title, body: sent.body ?? before?.body };
        if (note.data.title !== expected.title || note.data.body !== expected.body) {
          found.push(
            `note ${note.data.id} stored otherwise than sent: sent ${JSON.stringify(expected)}, stored ${JSON.stringify({ title: note.data.title, body: note.data.body })}`,
          );
        }
      }
      this.notes.set(note.data.id, note.data);
    } else if (contract === notes.endpoints.get && answer.status === 200 && note?.success) {
      found.push(...this.compare(note.data));
    } else if (contract === notes.endpoints.get && answer.status === 404 && this.notes.has(id)) {
      found.push(`note ${id} was confirmed and is now missing`);
    } else if (request.method === "DELETE" && answer.status === 204 && Number.isInteger(id)) {
      if (!this.notes.has(id)) found.push(`DELETE answered 204 for note ${id}, which was never confirmed`);
      this.notes.delete(id);
    } else if (contract === notes.endpoints.list && answer.status === 200 && body.ok) {
      for (const item of (body.value as { items: Note[] }).items) found.push(...this.compare(item));
    }
    return found;
  }

  /** A note as the API shows it now, against what it confirmed. */
  compare(shown: Note): string[] {
    const known = this.notes.get(shown.id);
    if (!known) return [`note ${shown.id} is shown but was never confirmed: ${JSON.stringify(shown)}`];
    return JSON.stringify(known) === JSON.stringify(shown)
      ? []
      : [
          `note ${shown.id} changed behind the API's back: confirmed ${JSON.stringify(known)}, shown ${JSON.stringify(shown)}`,
        ];
  }
}

/** Every note the API lists now, page by page. */
export async function listedNotes(url: string): Promise<NoteType[]> {
  const listed: NoteType[] = [];
  let cursor: string | null = null;
  do {
    const answer: RawResponse | undefined = await rawRequest(url, {
      method: "GET",
      target: `/notes?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    });
    if (answer?.status !== 200) throw new Error(`listing the notes answered ${answer?.status ?? "nothing"}`);
    const page = JSON.parse(answer.text) as { items: unknown[]; next: string | null };
    listed.push(...page.items.map((item) => Note.parse(item)));
    cursor = page.next;
  } while (cursor);
  return listed;
}

/** ~1 MB of JSON with `count` short unknown keys beside a valid title: the validator's worst case. */
export function manyUnknownKeys(count: number): string {
  const digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const key = (i: number): string =>
    (i < digits.length ? "" : key(Math.floor(i / digits.length) - 1)) + digits[i % digits.length];
  const keys = Array.from({ length: count }, (_, i) => `"${key(i)}":0`);
  return `{"title":"t",${keys.join(",")}}`;
}

/** Bodies built to hurt a JSON parser or validator, and broken encodings (each must be a 4xx problem). */
export function hostileBodies(): HostileCase[] {
  const post = (body: string | Buffer, broken: string, status?: number): HostileCase => ({
    request: hostile({ method: "POST", target: "/notes", headers: [JSON_TYPE], body }, broken),
    ...(status ? { status } : {}),
  });
  const patch = (body: string | Buffer, broken: string, status?: number): HostileCase => ({
    request: hostile({ method: "PATCH", target: `/notes/${NO_SUCH_ID}`, headers: [JSON_TYPE], body }, broken),
    ...(status ? { status } : {}),
  });
  const bytes = (...parts: (string | number[])[]) =>
    Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));
  const deepArrays = (depth: number) => `{"title":"t","x":${"[".repeat(depth)}${"]".repeat(depth)}}`;
  const deepObjects = (depth: number) => `{"title":"t","x":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`;
  return [
    post(manyUnknownKeys(123_000), "123,000 unknown keys (about 1 MB)", 400),
    patch(manyUnknownKeys(123_000), "123,000 unknown keys (about 1 MB)", 400),
    post(manyUnknownKeys(20_000), "20,000 unknown keys", 400),
    post(deepArrays(100_000), "arrays nested 100,000 deep", 400),
    post(deepObjects(50_000), "objects nested 50,000 deep", 400),
    patch(deepArrays(100_000), "arrays nested 100,000 deep", 400),
    post(`[${"0,".repeat(300_000)}0]`, "an array of 300,000 numbers", 400),
    post(JSON.stringify({ title: "t".repeat(1_000_000) }), "a 1 MB title", 400),
    post(JSON.stringify({ title: "t", body: "b".repeat(1_200_000) }), "a 1.2 MB body", 413),
    post(`{"title":"t","body":${"9".repeat(100_000)}}`, "a number of 100,000 digits", 400),
    post('{"title":1e400}', "a number too large for a double", 400),
    post(bytes('{"title":"', [0xff, 0xfe], '"}'), "invalid UTF-8 (0xff 0xfe)", 400),
    post(bytes('{"title":"', [0xc0, 0xaf], '"}'), "an overlong UTF-8 encoding", 400),
    post(bytes('{"title":"a', [0xe2, 0x82], '"}'), "a truncated UTF-8 sequence", 400),
    post(bytes('{"title":"', [0xed, 0xa0, 0x80], '"}'), "a UTF-8-encoded surrogate", 400),
    post('{"title":"\\ud800 "}', "an escaped lone high surrogate", 400),
    patch('{"body":"\\udfff"}', "an escaped lone low surrogate", 400),
    patch(bytes('{"title":"', [0xff], '"}'), "invalid UTF-8 (0xff)", 400),
    post(bytes([0xef, 0xbb, 0xbf], NOTE), "a UTF-8 byte-order mark"),
    post(Buffer.from(`\ufeff${NOTE}`, "utf16le"), "a UTF-16 body labelled JSON", 400),
    post(`${NOTE}${NOTE}`, "two JSON documents", 400),
    post(`${NOTE}   \n\t`, "trailing whitespace"),
    post('{"title":"t","__proto__":{"polluted":true}}', "a __proto__ key", 400),
    post('{"title":"t","constructor":{"prototype":{"polluted":true}}}', "a constructor.prototype key", 400),
    patch("{}", "an empty change", 400),
  ];
}
