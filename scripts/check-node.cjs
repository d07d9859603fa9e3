// The first step of every root script that runs the project's code (`pnpm dev`, `pnpm test`, …):
// stops at once, with one line, when Node is older than .nvmrc asks. Without it an old Node fails
// later and obscurely (ERR_UNKNOWN_FILE_EXTENSION ".ts" from watchers that then hang, undici
// TypeErrors). CommonJS with nothing newer than Node 6 syntax, so that any old Node can run it.
"use strict";
// biome-ignore lint/style/useNodejsImportProtocol: "node:fs" needs Node 14.18 or newer
const fs = require("fs");
// biome-ignore lint/style/useNodejsImportProtocol: "node:path" needs Node 14.18 or newer
const path = require("path");

const root = path.join(__dirname, "..");
const wanted = Number(fs.readFileSync(path.join(root, ".nvmrc"), "utf8").trim());
// The floor is package.json's `engines` (`>=24.9.0`: the HTTP server's shouldUpgradeCallback, on
// which async-api's and the dev proxy's handling of Upgrade requests rests).
const floor = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).engines.node.replace(/^>=/, "");
const current = process.versions.node;
const numbers = (version) => version.split(".").map(Number);
const have = numbers(current);
const need = numbers(floor);
let older = false;
for (let i = 0; i < 3; i++) {
  if (have[i] !== need[i]) {
    older = have[i] < need[i];
    break;
  }
}
if (older) {
  process.stderr.write(
    `This project needs Node.js ${floor} or newer, not ${current}: run \`nvm install\` here (it reads .nvmrc), or get Node.js ${wanted} from https://nodejs.org/\n`,
  );
  process.exit(1);
}
