// The ReplicaSet controller through the real store: pods follow
// spec.replicas, a failed pod is replaced, orphans are adopted and pods that
// stop matching are released, surplus pods go unready-first, and the status
// and events say what happened.

import { afterEach, expect, test } from "bun:test";
import { rfc3339 } from "../../core/clock.ts";
import { controllerOf } from "../../core/controllers/owners.ts";
import { ReplicaSetController } from "../../core/controllers/replica-set/controller.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import { eventually, startControllerHarness, type ControllerHarness } from "./harness.ts";

let h: ControllerHarness | undefined;

afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function start(): Promise<ControllerHarness> {
  h = await startControllerHarness((ctx) => [new ReplicaSetController(ctx)]);
  return h;
}

const MERGE = "application/merge-patch+json";

function replicaSet(replicas: number, extra: Record<string, unknown> = {}): object {
  return {
    metadata: { name: "web" },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web", tier: "fe" } }, spec: { containers: [{ name: "web", image: "busybox" }] } },
      ...extra,
    },
  };
}

const rsStatus = (h: ControllerHarness) => h.informer.get("ReplicaSet", "default", "web")?.status as Record<string, number> | undefined;
const podsOf = (h: ControllerHarness, uid: string) => h.informer.list("Pod", "default").filter((p) => controllerOf(p)?.uid === uid);

async function setPodStatus(h: ControllerHarness, name: string, phase: string, ready: boolean, since = Date.now()): Promise<void> {
  await h.registry.patch("Pod", "default", name, MERGE, { status: { phase, conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: rfc3339(since) }] } }, "status");
}

/** Events are written in the background: poll with eventually. */
async function events(h: ControllerHarness, reason: string): Promise<KubeObject[]> {
  return (await h.store.list("Event")).items.filter((e) => (e as { reason?: string }).reason === reason);
}

test("creates spec.replicas pods with generateName and a controller reference, then scales down; status follows", async () => {
  const h = await start();
  const rs = await h.registry.create("ReplicaSet", "default", replicaSet(3));
  const uid = rs.metadata.uid!;
  const pods = await eventually(() => podsOf(h, uid), (p) => p.length === 3);
  expect(pods).toHaveLength(3);
  for (const p of pods) {
    expect(p.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(p.metadata.labels).toEqual({ app: "web", tier: "fe" });
    expect(controllerOf(p)).toMatchObject({ kind: "ReplicaSet", name: "web", uid, controller: true, blockOwnerDeletion: true });
  }
  expect(await eventually(() => rsStatus(h), (s) => s?.replicas === 3)).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 });

  // Two become ready; scaling to 1 keeps a ready one.
  await setPodStatus(h, pods[0]!.metadata.name!, "Running", true);
  await setPodStatus(h, pods[1]!.metadata.name!, "Running", true);
  expect(await eventually(() => rsStatus(h), (s) => s?.readyReplicas === 2)).toMatchObject({ readyReplicas: 2, availableReplicas: 2 });
  await h.registry.patch("ReplicaSet", "default", "web", MERGE, { spec: { replicas: 1 } });
  const left = await eventually(() => podsOf(h, uid), (p) => p.length === 1);
  expect(left).toHaveLength(1);
  expect(left[0]!.metadata.name).not.toBe(pods[2]!.metadata.name);
  expect(await eventually(() => rsStatus(h), (s) => s?.replicas === 1)).toMatchObject({ replicas: 1, readyReplicas: 1, observedGeneration: 2 });

  const created = await eventually(() => events(h, "SuccessfulCreate"), (e) => e.length === 3);
  expect(created.map((e) => (e as { message?: string }).message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
  const deleted = await eventually(() => events(h, "SuccessfulDelete"), (e) => e.length === 2);
  expect(deleted).toHaveLength(2);
  expect(h.errors).toEqual([]);
});

test("a failed pod is not counted and is replaced; a deleted pod is replaced", async () => {
  const h = await start();
  const uid = (await h.registry.create("ReplicaSet", "default", replicaSet(2))).metadata.uid!;
  const pods = await eventually(() => podsOf(h, uid), (p) => p.length === 2);
  await setPodStatus(h, pods[0]!.metadata.name!, "Failed", false);
  const active = () => podsOf(h, uid).filter((p) => (p.status as { phase?: string }).phase !== "Failed");
  expect(await eventually(active, (p) => p.length === 2)).toHaveLength(2);
  expect(podsOf(h, uid)).toHaveLength(3);
  await h.registry.delete("Pod", "default", pods[1]!.metadata.name!);
  expect(await eventually(active, (p) => p.length === 2 && !p.some((x) => x.metadata.name === pods[1]!.metadata.name))).toHaveLength(2);
  expect(await eventually(() => rsStatus(h), (s) => s?.replicas === 2)).toMatchObject({ replicas: 2 });
});

test("adopts a matching orphan instead of creating; releases a pod whose labels stop matching", async () => {
  const h = await start();
  const orphan = await h.registry.create("Pod", "default", { metadata: { name: "stray", labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "busybox" }] } });
  const uid = (await h.registry.create("ReplicaSet", "default", replicaSet(2))).metadata.uid!;
  const pods = await eventually(() => podsOf(h, uid), (p) => p.length === 2);
  expect(pods.map((p) => p.metadata.name)).toContain("stray");
  expect(controllerOf(h.informer.get("Pod", "default", "stray")!)?.uid).toBe(uid);
  // The orphan lacked the template's tier label.
  expect(await eventually(() => rsStatus(h), (s) => s?.replicas === 2)).toMatchObject({ replicas: 2, fullyLabeledReplicas: 1 });

  await h.registry.patch("Pod", "default", orphan.metadata.name!, MERGE, { metadata: { labels: { app: "other" } } });
  const released = await eventually(() => h.informer.get("Pod", "default", "stray"), (p) => p !== undefined && !controllerOf(p));
  expect(released?.metadata.ownerReferences).toBeUndefined();
  const mine = await eventually(() => podsOf(h, uid), (p) => p.length === 2 && !p.some((x) => x.metadata.name === "stray"));
  expect(mine).toHaveLength(2);
  expect(h.errors).toEqual([]);
});

test("availableReplicas waits minReadySeconds after Ready, and the controller looks again by itself", async () => {
  const h = await start();
  const uid = (await h.registry.create("ReplicaSet", "default", replicaSet(1, { minReadySeconds: 2 }))).metadata.uid!;
  const [p] = await eventually(() => podsOf(h, uid), (x) => x.length === 1);
  await setPodStatus(h, p!.metadata.name!, "Running", true);
  expect(await eventually(() => rsStatus(h), (s) => s?.readyReplicas === 1)).toMatchObject({ readyReplicas: 1, availableReplicas: 0 });
  expect(await eventually(() => rsStatus(h), (s) => s?.availableReplicas === 1, 5000)).toMatchObject({ availableReplicas: 1 });
});

test("20 pods are created exactly once: creates in flight are not repeated", async () => {
  const h = await start();
  const uid = (await h.registry.create("ReplicaSet", "default", replicaSet(20))).metadata.uid!;
  await eventually(() => podsOf(h, uid), (p) => p.length === 20);
  await Bun.sleep(200);
  expect(podsOf(h, uid)).toHaveLength(20);
  expect((await h.store.list("Pod")).items).toHaveLength(20);
  expect(await eventually(() => rsStatus(h), (s) => s?.replicas === 20)).toMatchObject({ replicas: 20 });
});

test("pods refused by a quota: FailedCreate events and a ReplicaFailure condition, gone once the quota allows", async () => {
  const h = await start();
  await h.registry.create("ResourceQuota", "default", { metadata: { name: "pods" }, spec: { hard: { pods: "2" } } });
  const uid = (await h.registry.create("ReplicaSet", "default", replicaSet(4))).metadata.uid!;
  const failed = await eventually(() => events(h, "FailedCreate"), (e) => e.length > 0);
  expect(failed[0]).toMatchObject({ type: "Warning", involvedObject: { kind: "ReplicaSet", name: "web", uid } });
  expect((failed[0] as { message?: string }).message).toStartWith("Error creating: ");
  const status = await eventually(() => h.informer.get("ReplicaSet", "default", "web")?.status as { conditions?: { type: string; reason?: string }[] } | undefined, (s) => !!s?.conditions?.length);
  expect(status?.conditions).toEqual([expect.objectContaining({ type: "ReplicaFailure", status: "True", reason: "FailedCreate" })]);
  expect(podsOf(h, uid)).toHaveLength(2);

  await h.registry.patch("ResourceQuota", "default", "pods", MERGE, { spec: { hard: { pods: "10" } } });
  expect(await eventually(() => podsOf(h, uid), (p) => p.length === 4, 10_000)).toHaveLength(4);
  const healed = await eventually(() => h.informer.get("ReplicaSet", "default", "web")?.status as Record<string, unknown> | undefined, (s) => s?.replicas === 4 && !s.conditions, 10_000);
  expect(healed?.conditions).toBeUndefined();
  // Retries after the refusals are reported as errors, nothing else.
  expect(h.errors.every((e) => e.includes("exceeded quota"))).toBe(true);
});
