// Node heartbeats stay in memory: a status update that only moves
// lastHeartbeatTime is not written (no new resourceVersion), yet it keeps the
// node Ready with the lifecycle controller.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./harness.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer(undefined, { nodeGracePeriodMs: 1000 });
});
afterAll(() => s.cleanup());

const MERGE = { "content-type": "application/merge-patch+json" };
const status = (ready: string, at: string) => ({
  status: { conditions: [{ type: "Ready", status: ready, reason: "KubeletReady", lastHeartbeatTime: at, lastTransitionTime: "2026-01-01T00:00:00Z" }] },
});

test("a heartbeat-only node status update is not written but keeps the node Ready", async () => {
  expect((await s.call("POST", "/api/v1/nodes", { metadata: { name: "hb" } })).status).toBe(201);
  const first = await s.call("PATCH", "/api/v1/nodes/hb/status", status("True", new Date().toISOString()), MERGE);
  const rv = first.body.metadata.resourceVersion;
  // Beats for three grace periods: no writes, and the node never turns Unknown.
  for (let i = 0; i < 12; i++) {
    await Bun.sleep(250);
    const beat = await s.call("PATCH", "/api/v1/nodes/hb/status", status("True", new Date().toISOString()), MERGE);
    expect(beat.status).toBe(200);
    expect(beat.body.metadata.resourceVersion).toBe(rv);
  }
  const node = (await s.call("GET", "/api/v1/nodes/hb")).body;
  expect(node.status.conditions.find((c: { type: string }) => c.type === "Ready").status).toBe("True");
  expect(node.metadata.resourceVersion).toBe(rv);
  // A real change is written.
  const changed = await s.call("PATCH", "/api/v1/nodes/hb/status", status("False", new Date().toISOString()), MERGE);
  expect(changed.body.metadata.resourceVersion).not.toBe(rv);
}, 20_000);
