/**
 * The welcome page at `/` (setting `welcomePage`, off in production): a developer's first look at
 * both runtimes working behind one origin. Static HTML and a little script, no framework: sync-api
 * serves it with Express, combined mode with Fastify.
 */
import { fileURLToPath } from "node:url";
import { type AuthSettings, NOTES_WRITE_SCOPE, signToken } from "@repo/contracts";
import { environmentOf } from "@repo/shared-settings";
import type { Express, NextFunction, Request, Response } from "express";

/** How long the page's development token lasts: a reload gets a new one. */
const WELCOME_TOKEN_TTL_S = 3_600;

/**
 * The bearer token the page writes notes and opens the streams with: a short-lived development
 * token, signed per page load. Never under NODE_ENV=production, even if the page is turned on
 * there: the page would hand anyone a token.
 */
export function welcomeToken(auth: AuthSettings, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (environmentOf(env) === "production") return Promise.resolve(undefined);
  return signToken(auth, { subject: "welcome-page", scopes: [NOTES_WRITE_SCOPE], ttlS: WELCOME_TOKEN_TTL_S });
}

/** The docs pages it links to, served as Markdown from the repository's docs/ folder. */
export const WELCOME_DOCS: readonly { readonly file: string; readonly title: string }[] = [
  { file: "combined-mode.md", title: "Combined mode: the whole API in one process" },
  { file: "benchmarks/README.md", title: "Benchmarks" },
];

/** Where the page's docs links are served: `/welcome/docs/<file>`. */
export const WELCOME_DOCS_PATH = "/welcome/docs";

/** The repository's docs/ folder (from src/http/ and dist/http/ alike). */
const DOCS_DIR = new URL("../../../../docs/", import.meta.url);

/** The Markdown file a docs link names, if it is one of the listed pages (no other path is served). */
export function welcomeDocFile(file: string): URL | undefined {
  return WELCOME_DOCS.some((doc) => doc.file === file) ? new URL(file, DOCS_DIR) : undefined;
}

/**
 * Serves the page at `/` and its docs links on sync-api's Express app. Built per load: it carries
 * a short-lived development token (never one in production).
 */
export function serveWelcome(app: Express, asyncPrefix: string, auth: AuthSettings): void {
  app.get("/", async (_req, res) => {
    const page = welcomePage(asyncPrefix, await welcomeToken(auth));
    res.set("cache-control", "no-store").type("html").send(page);
  });
  app.get(`${WELCOME_DOCS_PATH}/*file`, (req: Request, res: Response, next: NextFunction) => {
    const file = welcomeDocFile([(req.params as { file: string[] }).file].flat().join("/"));
    if (!file) return next();
    res.type("text/markdown; charset=utf-8").sendFile(fileURLToPath(file), (error) => error && next());
  });
}

/**
 * The page, for an API whose async half is under `asyncPrefix`, with the token it calls the API
 * with (`welcomeToken`; without one its writes and streams are refused, as they would be for anyone).
 */
export function welcomePage(asyncPrefix: string, token: string | undefined): string {
  const prefix = JSON.stringify(asyncPrefix);
  const docs = WELCOME_DOCS.map(
    ({ file, title }) => `<li><a href="${WELCOME_DOCS_PATH}/${file}">${title}</a> <code>docs/${file}</code></li>`,
  ).join("\n        ");
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Welcome: your API is running</title>
    <style>
      body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 52rem; padding: 1rem 1.5rem; color: #1d232a; }
      h1 { margin-bottom: 0.25rem; } h2 { margin: 1.5rem 0 0.5rem; font-size: 1.15rem; }
      code { background: #f1f3f5; padding: 0 0.25rem; border-radius: 3px; }
      section { border-top: 1px solid #dde1e5; }
      .up { color: #18794e; } .down { color: #c92a2a; }
      ol { padding-left: 1.25rem; max-height: 14rem; overflow: auto; font-family: ui-monospace, monospace; font-size: 0.9rem; }
      input { font: inherit; padding: 0.2rem 0.4rem; } button { font: inherit; }
    </style>
  </head>
  <body>
    <h1>Your API is running</h1>
    <p>
      One origin, two runtimes: <strong>sync-api</strong> (Express 5 on a cluster of pre-forked workers,
      for blocking work) answers every path; <strong>async-api</strong> (Fastify 5 on one event loop that
      never blocks, for waiting work) answers <code>${asyncPrefix}/*</code>. This page is for development:
      it is off in production (setting <code>welcomePage</code>), and in development it carries a short-lived
      development token (<code>pnpm run token</code> prints one too): writing notes needs the scope
      <code>${NOTES_WRITE_SCOPE}</code>, the streams any valid token.
    </p>
    <section>
      <h2>Health, live</h2>
      <ul>
        <li>sync-api <code>/healthz</code>: <span id="health-sync">…</span></li>
        <li>async-api <code>${asyncPrefix}/healthz</code>: <span id="health-async">…</span></li>
      </ul>
    </section>
    <section>
      <h2>Note events, live (Server-Sent Events)</h2>
      <p>Create a note in sync-api; async-api relays the change to this page over <code>${asyncPrefix}/events/notes</code>.</p>
      <form id="note-form"><input name="title" required maxlength="200" placeholder="A title" /> <button>Create a note</button></form>
      <ol id="note-events"></ol>
    </section>
    <section>
      <h2>WebSocket echo</h2>
      <p>Sent to async-api over <code>${asyncPrefix}/ws</code> and back.</p>
      <form id="echo-form"><input name="text" required maxlength="1000" placeholder="Say something" /> <button>Send</button></form>
      <ol id="echoes"></ol>
    </section>
    <section>
      <h2>Read next</h2>
      <ul>
        <li><a href="/docs">API reference</a> (<a href="/openapi.json">OpenAPI document</a>)</li>
        ${docs}
        <li><code>README.md</code> and <code>docs/</code> in the repository</li>
      </ul>
    </section>
    <script>
      const prefix = ${prefix};
      const token = ${JSON.stringify(token ?? null)};
      // EventSource and a browser's WebSocket cannot set headers: the token goes in the query.
      const withToken = (path) => (token ? path + "?access_token=" + encodeURIComponent(token) : path);
      const $ = (id) => document.getElementById(id);
      const add = (list, text) => {
        const item = document.createElement("li");
        item.textContent = text;
        $(list).prepend(item);
      };

      async function health(path, id) {
        try {
          const response = await fetch(path, { cache: "no-store" });
          const body = await response.json();
          $(id).textContent = response.ok ? "up (pid " + body.pid + ")" : "down (" + response.status + ")";
          $(id).className = response.ok ? "up" : "down";
        } catch {
          $(id).textContent = "unreachable";
          $(id).className = "down";
        }
      }
      const poll = () => Promise.all([health("/healthz", "health-sync"), health(prefix + "/healthz", "health-async")]);
      poll();
      setInterval(poll, 2000);

      const events = new EventSource(withToken(prefix + "/events/notes"));
      events.addEventListener("note", (message) => {
        const event = JSON.parse(message.data);
        add("note-events", "#" + event.id + " " + event.type + " note " + event.noteId + (event.note ? ": " + event.note.title : ""));
      });
      $("note-form").addEventListener("submit", async (submit) => {
        submit.preventDefault();
        const title = submit.target.elements.title.value;
        const response = await fetch("/notes", {
          method: "POST",
          headers: { "content-type": "application/json", ...(token ? { authorization: "Bearer " + token } : {}) },
          body: JSON.stringify({ title }),
        });
        if (!response.ok) add("note-events", "not created: " + (await response.json()).detail);
        submit.target.reset();
      });

      const socket = new WebSocket(location.origin.replace(/^http/, "ws") + withToken(prefix + "/ws"));
      socket.addEventListener("message", (message) => {
        const reply = JSON.parse(message.data);
        if (reply.type === "echo") add("echoes", reply.text);
      });
      $("echo-form").addEventListener("submit", (submit) => {
        submit.preventDefault();
        socket.send(JSON.stringify({ type: "echo", text: submit.target.elements.text.value }));
        submit.target.reset();
      });
    </script>
  </body>
</html>
`;
}
