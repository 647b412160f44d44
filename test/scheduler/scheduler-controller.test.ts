// The scheduler through the real store: LMDB, informer, registry, with the
// SchedulerController binding Pods as nodes come and go.

import { afterEach, expect, test } from "bun:test";
import type { KubeObject } from "../../core/resources/object.ts";
import { SchedulerController, type SchedulerOptions } from "../../core/scheduler/scheduler-controller.ts";
import { eventually, startControllerHarness, type ControllerHarness } from "../controllers/harness.ts";
import { node, pod, type NodeOptions, type PodOptions } from "./fixtures.ts";

let h: ControllerHarness | undefined;
let scheduler: SchedulerController | undefined;

afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function start(opts: SchedulerOptions = {}): Promise<ControllerHarness> {
  h = await startControllerHarness((ctx) => [(scheduler = new SchedulerController(ctx, { initialBackoffMs: 10, maxBackoffMs: 50, ...opts }))]);
  return h;
}

async function addNode(name: string, o: NodeOptions = {}): Promise<void> {
  await h!.registry.create("Node", "", node(name, o));
}

async function addPod(name: string, o: PodOptions = {}): Promise<void> {
  const body = pod(name, o);
  delete body.metadata.uid;
  delete body.metadata.creationTimestamp;
  await h!.registry.create("Pod", "default", body);
}

function getPod(name: string): KubeObject | undefined {
  return h!.informer.get("Pod", "default", name);
}

function nodeOf(name: string): string | undefined {
  return (getPod(name)?.spec as { nodeName?: string } | undefined)?.nodeName;
}

function scheduledCondition(name: string): { status: string; reason?: string; message?: string } | undefined {
  return (getPod(name)?.status as { conditions?: { type: string; status: string; reason?: string; message?: string }[] }).conditions?.find(
    (c) => c.type === "PodScheduled",
  );
}

async function boundAll(names: string[]): Promise<Record<string, string | undefined>> {
  const where = () => Object.fromEntries(names.map((n) => [n, nodeOf(n)]));
  return eventually(where, (w) => Object.values(w).every(Boolean));
}

function events(reason: string): { message?: string; involvedObject: { name?: string } }[] {
  return h!.informer.list("Event", "default").filter((e) => e.reason === reason) as never;
}

test("Pods land where they fit; a Pod too big for every node waits with PodScheduled=False until a bigger node joins", async () => {
  await start();
  await addNode("small", { cpu: "1", memory: "1Gi" });
  await addNode("medium", { cpu: "2", memory: "4Gi" });
  await addNode("big", { cpu: "4", memory: "8Gi" });
  await addPod("needs-6gi", { requests: { memory: "6Gi" } });
  await addPod("needs-3cpu", { requests: { cpu: "3" } });
  await addPod("needs-16gi", { requests: { memory: "16Gi" } });
  const where = await boundAll(["needs-6gi", "needs-3cpu"]);
  expect(where).toEqual({ "needs-6gi": "big", "needs-3cpu": "big" });

  const cond = await eventually(() => scheduledCondition("needs-16gi"), (c) => c?.status === "False");
  expect(cond).toMatchObject({ status: "False", reason: "Unschedulable", message: "0/3 nodes are available: 3 Insufficient memory." });
  expect(nodeOf("needs-16gi")).toBeUndefined();
  expect((getPod("needs-16gi")!.status as { phase?: string }).phase).toBe("Pending");

  await addNode("huge", { cpu: "8", memory: "32Gi" });
  expect((await boundAll(["needs-16gi"]))["needs-16gi"]).toBe("huge");
  expect(scheduledCondition("needs-16gi")).toMatchObject({ status: "True" });

  await eventually(() => events("Scheduled").length, (n) => n === 3);
  expect(events("Scheduled").map((e) => e.message).sort()).toEqual([
    "Successfully assigned default/needs-16gi to huge",
    "Successfully assigned default/needs-3cpu to big",
    "Successfully assigned default/needs-6gi to big",
  ]);
  expect(events("FailedScheduling").map((e) => e.message)).toEqual(["0/3 nodes are available: 3 Insufficient memory."]);
  expect(h!.errors).toEqual([]);
});

test("the unschedulable message counts each reason over the nodes, most frequent first", async () => {
  await start();
  await addNode("a", { memory: "1Gi" });
  await addNode("b", { memory: "1Gi" });
  await addNode("c", { memory: "8Gi", taints: [{ key: "key", value: "value", effect: "NoSchedule" }] });
  await addPod("p", { requests: { memory: "2Gi" } });
  const cond = await eventually(() => scheduledCondition("p"), (c) => c?.status === "False");
  expect(cond?.message).toBe("0/3 nodes are available: 2 Insufficient memory, 1 node(s) had untolerated taint {key: value}.");
});

test("Pods of one ReplicaSet spread across the nodes", async () => {
  await start();
  for (const n of ["n1", "n2", "n3"]) await addNode(n);
  const rs = await h!.registry.create("ReplicaSet", "default", {
    metadata: { name: "web" },
    spec: { replicas: 6, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
  });
  const names = Array.from({ length: 6 }, (_, i) => `web-${i}`);
  await Promise.all(
    names.map((n) => {
      const body = pod(n, { requests: { cpu: "100m", memory: "64Mi" } });
      body.metadata = { name: n, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: rs.metadata.uid!, controller: true }] };
      return h!.registry.create("Pod", "default", body);
    }),
  );
  const where = await boundAll(names);
  const perNode: Record<string, number> = {};
  for (const n of Object.values(where)) perNode[n!] = (perNode[n!] ?? 0) + 1;
  expect(perNode).toEqual({ n1: 2, n2: 2, n3: 2 });
});

test("a cordoned node gets nothing; a node that is not Ready neither", async () => {
  await start();
  await addNode("cordoned", { cpu: "64", memory: "256Gi", unschedulable: true });
  await addNode("not-ready", { cpu: "64", memory: "256Gi", ready: "False" });
  await addNode("open", { cpu: "1", memory: "1Gi" });
  const names = Array.from({ length: 5 }, (_, i) => `p${i}`);
  for (const n of names) await addPod(n);
  expect(new Set(Object.values(await boundAll(names)))).toEqual(new Set(["open"]));

  // Uncordoning is a Node update: the Pod waiting for room is tried again.
  await addPod("large", { requests: { cpu: "8" } });
  await eventually(() => scheduledCondition("large"), (c) => c?.status === "False");
  expect(scheduledCondition("large")?.message).toBe(
    "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable.",
  );
  await h!.registry.patch("Node", "", "cordoned", "application/merge-patch+json", { spec: { unschedulable: false } });
  expect((await boundAll(["large"])).large).toBe("cordoned");
});

test("a repeated failure writes nothing; Pods with a node or another scheduler are left alone", async () => {
  await start({ retryIntervalMs: 20 });
  await addNode("only", { memory: "1Gi" });
  await addPod("too-big", { requests: { memory: "2Gi" } });
  await addPod("preset", { nodeName: "elsewhere" });
  const other = pod("other-scheduler");
  (other.spec as { schedulerName: string }).schedulerName = "my-scheduler";
  other.metadata = { name: "other-scheduler" };
  await h!.registry.create("Pod", "default", other);

  await eventually(() => scheduledCondition("too-big"), (c) => c?.status === "False");
  const rv = getPod("too-big")!.metadata.resourceVersion;
  const attempts = scheduler!.attempts;
  await eventually(() => scheduler!.attempts, (n) => n >= attempts + 3);
  expect(getPod("too-big")!.metadata.resourceVersion).toBe(rv);
  expect(events("FailedScheduling")).toHaveLength(1);
  expect(nodeOf("preset")).toBe("elsewhere");
  expect(nodeOf("other-scheduler")).toBeUndefined();
  expect(scheduledCondition("other-scheduler")).toBeUndefined();
});

test("a deleted or finished Pod frees its room for a waiting one", async () => {
  await start();
  await addNode("one", { cpu: "1", memory: "1Gi" });
  await addPod("first", { requests: { cpu: "800m" } });
  await boundAll(["first"]);
  await addPod("second", { requests: { cpu: "800m" } });
  await addPod("third", { requests: { cpu: "800m" } });
  await eventually(() => scheduledCondition("second"), (c) => c?.status === "False");
  expect(scheduledCondition("second")?.message).toBe("0/1 nodes are available: 1 Insufficient cpu.");

  await h!.registry.patch("Pod", "default", "first", "application/merge-patch+json", { status: { phase: "Succeeded" } }, "status");
  await eventually(() => [nodeOf("second"), nodeOf("third")].filter(Boolean).length, (n) => n === 1);
  const bound = nodeOf("second") ? "second" : "third";
  await h!.registry.delete("Pod", "default", bound);
  await eventually(() => [nodeOf("second"), nodeOf("third")].filter(Boolean).length, (n) => n === 1 && !getPod(bound));
  expect(nodeOf(bound === "second" ? "third" : "second")).toBe("one");
});
