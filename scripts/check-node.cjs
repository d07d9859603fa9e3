// The first step of every root script that runs the project's code (`pnpm dev`, `pnpm test`, …):
// stops at once, with one line, when Node is older than .nvmrc asks. Without it an old Node fails
// later and obscurely (ERR_UNKNOWN_FILE_EXTENSION ".ts" from watchers that then hang, undici
// TypeErrors). CommonJS with nothing newer than Node 6 syntax, so that any old Node can run it.
"use strict";
// biome-ignore lint/style/useNodejsImportProtocol: "node:fs" needs Node 14.18 or newer
const fs = require("fs");
// biome-ignore lint/style/useNodejsImportProtocol: "node:path" needs Node 14.18 or newer
const path = require("path");

const wanted = Number(fs.readFileSync(path.join(__dirname, "..", ".nvmrc"), "utf8").trim());
const current = process.versions.node;
if (Number(current.split(".")[0]) < wanted) {
  process.stderr.write(
    `This project needs Node.js ${wanted} or newer, not ${current}: run \`nvm install\` here (it reads .nvmrc), or get Node.js ${wanted} from https://nodejs.org/\n`,
  );
  process.exit(1);
}
