import { createRequire } from "node:module";
import { dirname } from "node:path";
import type { OpenApiDocument } from "@repo/contracts";
import express, { type Router } from "express";

/** swagger-ui-dist's static files (no types, no runtime code: only the folder is needed). */
const swaggerUiDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>API reference</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

// No validator badge: it would send the document to a third-party service.
const INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });\n`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The first page at `/` where nothing else is there (the examples put a page of their own
 * there): what this API serves, from its OpenAPI document, and where to read more. Only
 * where the API reference is served: production shows neither.
 */
function firstPage(document: OpenApiDocument): string {
  const rows = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => {
      const summary = (operation as { summary?: string } | undefined)?.summary ?? "";
      return `      <tr><td><code>${escapeHtml(method.toUpperCase())}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(summary)}</td></tr>`;
    }),
  );
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(document.info.title)}</title>
    <style>body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; padding: 0 1rem } td { padding: 0.2rem 1rem 0.2rem 0; vertical-align: top }</style>
  </head>
  <body>
    <h1>${escapeHtml(document.info.title)} is running</h1>
    <p><a href="/docs">API reference</a> · <a href="/openapi.json">OpenAPI document</a></p>
    <table>
${rows.join("\n")}
    </table>
  </body>
</html>
`;
}

/**
 * The API reference page's parts, framework-free: sync-api serves them with Express (below),
 * combined mode with Fastify.
 */
export const API_REFERENCE = { page: PAGE, init: INIT, assetsDir: swaggerUiDir, firstPage } as const;

/**
 * The whole API's OpenAPI document at `/openapi.json` (both apps: sync-api answers every path the
 * proxy does not send to async-api), and an API reference page rendering it at `/docs`.
 */
export function docsRouter(document: OpenApiDocument): Router {
  const router = express.Router();
  const json = JSON.stringify(document);
  router.get("/openapi.json", (_req, res) => {
    res.type("application/json").send(json);
  });
  router.get("/docs", (_req, res) => {
    res.type("html").send(PAGE);
  });
  router.get("/docs/init.js", (_req, res) => {
    res.type("text/javascript").send(INIT);
  });
  router.use("/docs/assets", express.static(swaggerUiDir, { index: false, maxAge: "1h" }));
  // Mounted after any other page the app serves at `/`: the first one wins.
  const first = firstPage(document);
  router.get("/", (_req, res) => {
    res.type("html").send(first);
  });
  return router;
}
