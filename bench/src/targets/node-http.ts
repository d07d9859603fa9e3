/** The ceiling: node:http answering hello JSON, with nothing in between. */
import { createServer } from "node:http";

createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify({ status: "ok", runtime: "sync", pid: process.pid }));
}).listen(Number(process.env.BENCH_PORT), "127.0.0.1");
