import autocannon from "autocannon";
import { orpc, thinLayer, typeProvider } from "./servers.mjs";

const servers = { thinLayer, typeProvider, orpc };
const results = Object.fromEntries(Object.keys(servers).map((name) => [name, []]));
for (const _round of [1, 2]) {
  for (const [name, start] of Object.entries(servers)) {
    const app = await start();
    await app.listen({ port: 0, host: "127.0.0.1" });
    const url = `http://127.0.0.1:${app.server.address().port}/items?limit=10`;
    const check = await (await fetch(url)).json();
    if (check.items?.length !== 10) throw new Error(`${name} answered ${JSON.stringify(check)}`);
    const bad = await fetch(url.replace("limit=10", "limit=0"));
    const r = await autocannon({ url, connections: 50, duration: 5 });
    results[name].push({ rps: Math.round(r.requests.average), p99ms: r.latency.p99, badStatus: bad.status });
    await app.close();
  }
}
console.log(JSON.stringify(results, null, 1));
