// What the disk sees: an acknowledged create survives SIGKILL of the server,
// and an idle server (or one that is only read from) writes nothing.

import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer } from "./harness.ts";
import { spawnServer } from "../support-cli.ts";

test("every acknowledged create survives SIGKILL mid-stream", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tug-crash-"));
  try {
    const first = await spawnServer(dataDir);
    const acked: string[] = [];
    let n = 0;
    let stop = false;
    const client = async () => {
      while (!stop) {
        const name = `crash-${n++}`;
        try {
          const res = await first.fetch(`/api/v1/namespaces/default/configmaps`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ metadata: { name }, data: { n: name } }),
          });
          if (res.status === 201) acked.push(name);
          else if (res.status !== 201) await res.text();
        } catch {
          return; // the server is gone
        }
      }
    };
    const clients = Array.from({ length: 16 }, client);
    while (acked.length < 400) await Bun.sleep(2);
    first.proc.kill("SIGKILL");
    stop = true;
    await first.proc.exited;
    await Promise.all(clients);
    expect(acked.length).toBeGreaterThanOrEqual(400);

    const second = await spawnServer(dataDir);
    try {
      const list: any = await (await second.fetch(`/api/v1/namespaces/default/configmaps`)).json();
      const present = new Set((list.items as any[]).map((o) => o.metadata.name));
      const lost = acked.filter((name) => !present.has(name));
      expect(lost).toEqual([]);
      // The counter continues past every acknowledged write.
      const maxRV = Math.max(...(list.items as any[]).map((o) => Number(o.metadata.resourceVersion)));
      expect(Number(list.metadata.resourceVersion)).toBeGreaterThanOrEqual(maxRV);
    } finally {
      second.proc.kill("SIGTERM");
      await second.proc.exited;
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);

test("SIGTERM stops the server cleanly with exit code 0", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tug-term-"));
  try {
    const s = await spawnServer(dataDir);
    s.proc.kill("SIGTERM");
    expect(await s.proc.exited).toBe(0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("an idle server, and one that is only read from, writes nothing to LMDB", async () => {
  const s = await startTestServer();
  try {
    for (let i = 0; i < 20; i++) await s.call("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: `idle-${i}` }, data: { i: String(i) } });
    const file = join(s.dataDir, "db", "data.mdb");
    // Let any background flush finish before taking the baseline.
    await Bun.sleep(300);
    const before = statSync(file);
    const rv = s.registry.store.currentRV();
    const watch = await s.fetch(`/api/v1/namespaces/default/configmaps?watch=1`);
    for (let i = 0; i < 50; i++) {
      await s.call("GET", `/api/v1/namespaces/default/configmaps/idle-${i % 20}`);
      await s.call("GET", "/api/v1/configmaps?labelSelector=x%3Dy");
    }
    const cm = (await s.call("GET", "/api/v1/namespaces/default/configmaps/idle-1")).body;
    expect((await s.call("PUT", "/api/v1/namespaces/default/configmaps/idle-1", cm)).status).toBe(200);
    expect((await s.call("PATCH", "/api/v1/namespaces/default/configmaps/idle-1", { data: { i: "1" } }, { "content-type": "application/merge-patch+json" })).status).toBe(200);
    await Bun.sleep(2000);
    await watch.body?.cancel();
    const after = statSync(file);
    expect(s.registry.store.currentRV()).toBe(rv);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.size).toBe(before.size);
  } finally {
    await s.cleanup();
  }
}, 20_000);
