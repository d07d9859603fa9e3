/** Bare Fastify 5 (logger off) answering hello JSON: what async-api's /async/healthz costs without the starter. */

import { ASYNC_PREFIX } from "@repo/testing";
import fastify from "fastify";

const app = fastify({ logger: false });
app.get(`${ASYNC_PREFIX}/healthz`, async () => ({ status: "ok", runtime: "async", pid: process.pid }));
await app.listen({ port: Number(process.env.BENCH_PORT), host: "127.0.0.1" });
