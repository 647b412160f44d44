// Watch over real HTTP: resume from a resourceVersion (also across a server
// restart), initial state, selectors, bookmarks and 410 Expired.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, watchReader, type TestServer } from "./harness.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.cleanup();
});

const cmPath = "/api/v1/namespaces/default/configmaps";
const open = (query: string) => s.fetch(`${cmPath}?watch=1&${query}`);

describe("watch", () => {
  test("the response starts at once, before any event (Bun header pitfall)", async () => {
    const res = await Promise.race([open("resourceVersion=" + (await s.call("GET", cmPath)).body.metadata.resourceVersion), Bun.sleep(2000).then(() => undefined)]);
    expect(res?.status).toBe(200);
    expect(res?.headers.get("content-type")).toBe("application/json");
    await res?.body?.cancel();
  });

  test("from a resourceVersion: history first, then live, in order", async () => {
    const start = (await s.call("GET", cmPath)).body.metadata.resourceVersion;
    await s.call("POST", cmPath, { metadata: { name: "w1" } });
    await s.call("PATCH", `${cmPath}/w1`, { data: { a: "1" } }, { "content-type": "application/merge-patch+json" });
    const w = watchReader(await open(`resourceVersion=${start}`));
    await w.next(2);
    await s.call("DELETE", `${cmPath}/w1`);
    const evs = await w.next(3);
    expect(evs.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED w1", "MODIFIED w1", "DELETED w1"]);
    const rvs = evs.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    await w.cancel();
  });

  test("without a resourceVersion: ADDED for what exists, then live events", async () => {
    await s.call("POST", cmPath, { metadata: { name: "exists" } });
    const w = watchReader(await open(""));
    await w.next(1);
    await s.call("POST", cmPath, { metadata: { name: "later" } });
    const evs = await w.next(2);
    expect(evs.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED exists", "ADDED later"]);
    await w.cancel();
  });

  test("label and field selectors apply; leaving the selection is DELETED", async () => {
    const rv = (await s.call("GET", cmPath)).body.metadata.resourceVersion;
    const w = watchReader(await open(`resourceVersion=${rv}&labelSelector=${encodeURIComponent("team=a")}`));
    const f = watchReader(await open(`resourceVersion=${rv}&fieldSelector=${encodeURIComponent("metadata.name=sel-2")}`));
    await s.call("POST", cmPath, { metadata: { name: "sel-1", labels: { team: "a" } } });
    await s.call("POST", cmPath, { metadata: { name: "sel-2", labels: { team: "b" } } });
    await s.call("PATCH", `${cmPath}/sel-1`, { metadata: { labels: { team: "b" } } }, { "content-type": "application/merge-patch+json" });
    const evs = await w.next(2);
    expect(evs.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED sel-1", "DELETED sel-1"]);
    expect((await f.next(1)).map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED sel-2"]);
    await w.cancel();
    await f.cancel();
  });

  test("timeoutSeconds ends the stream", async () => {
    const w = watchReader(await open("timeoutSeconds=1&resourceVersion=1"));
    const end = Date.now() + 4000;
    while (!w.done && Date.now() < end) await Bun.sleep(20);
    expect(w.done).toBe(true);
  });

  test("a malformed resourceVersion is 400", async () => {
    const r = await open("resourceVersion=abc");
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).kind).toBe("Status");
  });
});

describe("watch across a restart and beyond the window", () => {
  test("a watch resumes from a resourceVersion after the server restarts", async () => {
    const t = await startTestServer();
    await t.call("POST", cmPath, { metadata: { name: "before" } });
    const rv = (await t.call("GET", cmPath)).body.metadata.resourceVersion;
    await t.call("POST", cmPath, { metadata: { name: "after-1" } });
    await t.call("DELETE", `${cmPath}/before`);
    await t.stop();
    const again = await startTestServer(t.dataDir);
    try {
      const w = watchReader(await again.fetch(`${cmPath}?watch=true&resourceVersion=${rv}`));
      const evs = await w.next(2);
      expect(evs.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED after-1", "DELETED before"]);
      await w.cancel();
    } finally {
      await again.cleanup();
    }
  });

  test("a resourceVersion older than the window gets 200, an ERROR 410 Expired event, and the end", async () => {
    // The window is 10,000 events; compaction happens in steps of a tenth.
    const t = await startTestServer();
    try {
      const store = t.registry.store;
      const batch = [];
      for (let i = 0; i < 11_200; i++) {
        batch.push(store.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `n${i}`, namespace: "default" } }));
        if (batch.length === 500) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
      const res = await t.fetch(`${cmPath}?watch=1&resourceVersion=5`);
      expect(res.status).toBe(200);
      const w = watchReader(res);
      await w.next(1);
      const end = Date.now() + 3000;
      while (!w.done && Date.now() < end) await Bun.sleep(10);
      expect(w.done).toBe(true);
      expect(w.events).toHaveLength(1);
      expect(w.events[0]).toMatchObject({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } });
    } finally {
      await t.cleanup();
    }
  });

  test("bookmarks carry the current resourceVersion, only when asked for", async () => {
    // The test server sends bookmarks every 200 ms.
    const rv = (await s.call("GET", cmPath)).body.metadata.resourceVersion;
    const asked = watchReader(await open(`allowWatchBookmarks=true&resourceVersion=${rv}`));
    const plain = watchReader(await open(`resourceVersion=${rv}`));
    const evs = await asked.next(1);
    expect(evs[0]).toEqual({ type: "BOOKMARK", object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion: rv } } });
    await Bun.sleep(300);
    expect(plain.events).toEqual([]);
    await asked.cancel();
    await plain.cancel();
  });
});
