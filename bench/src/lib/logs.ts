/** Reading a target's log file without loading it whole: it can hold hundreds of MiB of request lines. */
import { closeSync, openSync, readSync, statSync } from "node:fs";

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readChunks(file: string, from: number, each: (chunk: Buffer) => void): void {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    let position = from;
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, position);
      if (read === 0) return;
      each(buffer.subarray(0, read));
      position += read;
    }
  } finally {
    closeSync(fd);
  }
}

/** How many lines were written to `file` after byte `from`. */
export function countLines(file: string, from = 0): number {
  let lines = 0;
  readChunks(file, from, (chunk) => {
    for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
  });
  return lines;
}

/** The last lines of a log file, for an error message. */
export function tail(file: string, lines = 30): string {
  try {
    const chunks: Buffer[] = [];
    readChunks(file, Math.max(0, fileSize(file) - 16_384), (chunk) => chunks.push(Buffer.from(chunk)));
    return Buffer.concat(chunks).toString("utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
