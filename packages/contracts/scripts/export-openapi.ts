/**
 * Writes the OpenAPI document to packages/contracts/openapi.json (`pnpm openapi`). The file is
 * committed, so reviews show API changes; a test fails when it and the contracts drift apart.
 */
import { writeFileSync } from "node:fs";
import { openApiDocument } from "../src/openapi.ts";

const file = new URL("../openapi.json", import.meta.url);
writeFileSync(file, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
process.stdout.write(`wrote ${file.pathname}\n`);
