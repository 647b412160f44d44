// The whole control plane over HTTP, as a user and (played by the test) the
// kubelets see it: nodes register, a Deployment's pods are scheduled across
// them, and when a node goes silent its pods are replaced on the others.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./harness.ts";
import { eventually } from "../support.ts";

let s: TestServer;
let beating = true;
const silent = new Set<string>();

beforeAll(async () => {
  // A grace period well above the heartbeat interval, even on a loaded CI machine.
  s = await startTestServer(undefined, { nodeGracePeriodMs: 2500, defaultTolerationSeconds: 1, madeUpNodes: true });
});
afterAll(async () => {
  beating = false;
  await s.cleanup();
});

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
const readyStatus = () => ({ conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: now() }], allocatable: { cpu: "4", memory: "8Gi", pods: "110" }, capacity: { cpu: "4", memory: "8Gi", pods: "110" } });

/** The test's kubelets: heartbeats for live nodes (their own loop, so pod work cannot delay them)... */
async function heartbeats() {
  while (beating) {
    await Promise.all(
      ["node-a", "node-b", "node-c"]
        .filter((n) => !silent.has(n))
        .map((n) => s.call("PATCH", `/api/v1/nodes/${n}/status`, { status: { conditions: readyStatus().conditions } }, { "content-type": "application/merge-patch+json" }).catch(() => {})),
    );
    await Bun.sleep(200);
  }
}

/** ...and Running+Ready for pods bound to them. */
async function kubelets() {
  while (beating) {
    const pods = (await s.call("GET", "/api/v1/pods").catch(() => undefined))?.body?.items ?? [];
    for (const p of pods) {
      if (!p.spec.nodeName || silent.has(p.spec.nodeName) || p.status?.phase === "Running") continue;
      await s.call("PATCH", `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}/status`, {
        status: { phase: "Running", podIP: "10.42.0.9", conditions: [{ type: "Ready", status: "True", lastTransitionTime: now() }] },
      }, { "content-type": "application/merge-patch+json" }).catch(() => {});
    }
    await Bun.sleep(150);
  }
}

test("a Deployment spreads across nodes and survives a node going silent", async () => {
  for (const n of ["node-a", "node-b", "node-c"]) {
    expect((await s.call("POST", "/api/v1/nodes", { metadata: { name: n, labels: { "kubernetes.io/hostname": n } }, status: readyStatus() })).status).toBe(201);
  }
  void heartbeats();
  void kubelets();
  const dep = {
    metadata: { name: "web" },
    spec: {
      replicas: 6,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "busybox", resources: { requests: { cpu: "100m", memory: "64Mi" } } }] } },
    },
  };
  expect((await s.call("POST", "/apis/apps/v1/namespaces/default/deployments", dep)).status).toBe(201);
  const ready = await eventually(
    () => s.call("GET", "/apis/apps/v1/namespaces/default/deployments/web"),
    (r) => r.body.status?.readyReplicas === 6 && r.body.status?.availableReplicas === 6,
  );
  expect(ready.body.status).toMatchObject({ replicas: 6, updatedReplicas: 6, readyReplicas: 6, availableReplicas: 6, observedGeneration: 1 });
  const pods = (await s.call("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")).body.items;
  const perNode = new Map<string, number>();
  for (const p of pods) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  expect([...perNode.values()].sort()).toEqual([2, 2, 2]);
  const events = (await s.call("GET", "/api/v1/namespaces/default/events?fieldSelector=reason%3DScheduled")).body.items;
  expect(events.length).toBeGreaterThanOrEqual(6);

  silent.add("node-c");
  const node = await eventually(() => s.call("GET", "/api/v1/nodes/node-c"), (r) => r.body.status.conditions.find((c: any) => c.type === "Ready")?.status === "Unknown");
  expect(node.body.spec.taints).toContainEqual(expect.objectContaining({ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }));
  const moved = await eventually(
    () => s.call("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb"),
    (r) => r.body.items.length === 6 && r.body.items.every((p: any) => p.spec.nodeName && p.spec.nodeName !== "node-c" && p.status?.phase === "Running"),
    20_000,
  );
  expect(moved.body.items.map((p: any) => p.spec.nodeName).filter((n: string) => n === "node-c")).toEqual([]);
  const again = await eventually(() => s.call("GET", "/apis/apps/v1/namespaces/default/deployments/web"), (r) => r.body.status?.availableReplicas === 6, 15_000);
  if (again.body.status.availableReplicas !== 6) {
    const rs = (await s.call("GET", "/apis/apps/v1/namespaces/default/replicasets")).body.items.map((x: any) => ({ name: x.metadata.name, spec: x.spec.replicas, status: x.status }));
    const pods = (await s.call("GET", "/api/v1/namespaces/default/pods")).body.items.map((p: any) => ({ name: p.metadata.name, node: p.spec.nodeName, status: p.status, owner: p.metadata.ownerReferences }));
    console.error(JSON.stringify({ deployment: again.body.status, rs, pods }, null, 1));
  }
  expect(again.body.status.availableReplicas).toBe(6);
}, 30_000);
