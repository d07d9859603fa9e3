/** Bare Express 5 answering hello JSON: what sync-api's /healthz costs without the starter around it. */
import express from "express";

const app = express();
app.get("/healthz", (_req, res) => {
  res.json({ status: "ok", runtime: "sync", pid: process.pid });
});
app.listen(Number(process.env.BENCH_PORT), "127.0.0.1");
