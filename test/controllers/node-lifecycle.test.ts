// The node lifecycle controller on the real store: a silent node turns
// Ready=Unknown and tainted, its pods go after their tolerationSeconds, it
// recovers when it reports again, and pods of a deleted node are removed.

import { afterEach, expect, test } from "bun:test";
import { NodeLifecycleController } from "../../core/controllers/node-lifecycle/controller.ts";
import { rfc3339 } from "../../core/clock.ts";
import { eventually, startControllerHarness, type ControllerHarness } from "./harness.ts";

let h: ControllerHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const readyNode = (name: string) => ({
  metadata: { name },
  status: { conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: rfc3339(Date.now()) }], allocatable: { cpu: "4", memory: "4Gi", pods: "110" } },
});

async function boundPod(name: string, node: string, tolerations?: object[]) {
  await h!.registry.create("Pod", "default", { metadata: { name }, spec: { containers: [{ name: "c", image: "busybox" }], ...(tolerations ? { tolerations } : {}) } });
  await h!.registry.bind("default", name, { target: { name: node } });
}

test("a silent node goes Unknown and tainted; pods leave after tolerationSeconds; it recovers on report", async () => {
  let ctrl!: NodeLifecycleController;
  h = await startControllerHarness((ctx) => [(ctrl = new NodeLifecycleController(ctx, { gracePeriodMs: 300, monitorPeriodMs: 50 }))]);
  await h.registry.create("Node", "", readyNode("edge-1"));
  await boundPod("short", "edge-1", [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 1 }]);
  await boundPod("forever", "edge-1", [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" }]);
  await boundPod("default-toleration", "edge-1");
  const pod = (n: string) => h!.store.get({ kind: "Pod", namespace: "default", name: n });
  expect(((await pod("default-toleration"))!.spec as any).tolerations).toContainEqual({ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 30 });

  const node = () => h!.store.get({ kind: "Node", namespace: "", name: "edge-1" }) as Promise<any>;
  const unknown = await eventually(node, (n) => n.status.conditions[0].status === "Unknown", 3000);
  expect(unknown.status.conditions[0]).toMatchObject({ type: "Ready", status: "Unknown", reason: "NodeStatusUnknown" });
  expect(unknown.spec.taints).toEqual([expect.objectContaining({ key: "node.kubernetes.io/unreachable", effect: "NoExecute" })]);

  expect(await pod("short")).toBeDefined();
  expect(await eventually(() => pod("short"), (p) => p === undefined, 3000)).toBeUndefined();
  expect(await pod("forever")).toBeDefined();
  expect(await pod("default-toleration")).toBeDefined();

  // The node reports again: Ready=True through the status subresource counts as a heartbeat.
  await h.registry.patch("Node", "", "edge-1", "application/merge-patch+json", { status: { conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: rfc3339(Date.now()) }] } }, "status");
  const back = await eventually(node, (n) => (n.spec.taints ?? []).length === 0, 2000);
  expect(back.spec.taints ?? []).toEqual([]);
  expect(ctrl.heartbeats.lastSeen("edge-1")).toBeGreaterThan(Date.now() - 2000);
  expect(h.errors).toEqual([]);
});

test("pods bound to a node that no longer exists are removed", async () => {
  h = await startControllerHarness((ctx) => [new NodeLifecycleController(ctx, { gracePeriodMs: 60_000, monitorPeriodMs: 50 })]);
  await h.registry.create("Node", "", readyNode("gone"));
  await boundPod("orphan", "gone");
  await h.registry.delete("Node", "", "gone");
  const p = await eventually(() => h!.store.get({ kind: "Pod", namespace: "default", name: "orphan" }), (x) => x === undefined, 3000);
  expect(p).toBeUndefined();
});
