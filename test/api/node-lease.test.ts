// The node Lease `kubectl describe node` reads: a view of the Node's
// heartbeat, 404 for a node that does not exist.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./harness.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer(undefined, { disableControllerManager: true, disableScheduler: true });
});
afterAll(() => s.cleanup());

const lease = (node: string) => s.call("GET", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`);

test("a node's Lease: held by the node, renewed at its last Ready heartbeat (MicroTime)", async () => {
  const node = (await s.call("POST", "/api/v1/nodes", { metadata: { name: "n-lease" } })).body;
  const beat = "2026-05-01T10:00:00Z";
  const status = { ...node, status: { conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: beat, lastTransitionTime: beat }] } };
  expect((await s.call("PUT", "/api/v1/nodes/n-lease/status", status)).status).toBe(200);
  const res = await lease("n-lease");
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    kind: "Lease",
    apiVersion: "coordination.k8s.io/v1",
    metadata: { name: "n-lease", namespace: "kube-node-lease", ownerReferences: [{ kind: "Node", name: "n-lease", uid: node.metadata.uid }] },
    spec: { holderIdentity: "n-lease", renewTime: "2026-05-01T10:00:00.000000Z" },
  });
});

test("no node, no Lease: a NotFound Status", async () => {
  const res = await lease("nope");
  expect([res.status, res.body.reason]).toEqual([404, "NotFound"]);
});
