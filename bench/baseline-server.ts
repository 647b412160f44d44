// The baseline of bench/api.ts: Bun.serve and LMDB with none of tug's work
// (no routing, validation, admission or watch), answering the same paths.
// Writes are durable like tug's (awaits the flush).

import { open } from "lmdb";
import { join } from "node:path";

const db = open({ path: join(process.argv[2] ?? "/tmp/tug-baseline", "db"), compression: false });
const prefix = "/api/v1/namespaces/default/configmaps";
let rv = 0;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === "/readyz") return new Response("ok");
    if (req.method === "POST") {
      const obj: any = await req.json();
      obj.metadata.resourceVersion = String(++rv);
      await db.put(`cm/${obj.metadata.name}`, obj);
      await db.flushed;
      return Response.json(obj, { status: 201 });
    }
    if (url.pathname === prefix) {
      const items = [...db.getRange({ start: "cm/", end: "cm/\uffff" }).map((e) => e.value)];
      return Response.json({ kind: "ConfigMapList", metadata: { resourceVersion: String(rv) }, items });
    }
    const obj = db.get(`cm/${url.pathname.slice(prefix.length + 1)}`);
    return obj ? Response.json(obj) : new Response("not found", { status: 404 });
  },
});
console.log(`baseline listening on 127.0.0.1:${server.port}`);
process.on("SIGTERM", () => process.exit(0));
