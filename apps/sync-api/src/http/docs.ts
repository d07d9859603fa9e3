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

/**
 * The API reference page's parts, framework-free: sync-api serves them with Express (below),
 * combined mode with Fastify.
 */
export const API_REFERENCE = { page: PAGE, init: INIT, assetsDir: swaggerUiDir } as const;

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
  return router;
}
