// The DaemonSet controller through the real store: one pod per registered
// Node, new nodes get theirs, tainted nodes none, deleted nodes lose theirs,
// failed pods are replaced, and a rolling update replaces one pod at a time.
// The test plays the node agent by writing pod status.

import { afterEach, expect, test } from "bun:test";
import { rfc3339 } from "../../core/clock.ts";
import { DaemonSetController } from "../../core/controllers/daemon-set/controller.ts";
import { REVISION_HASH_LABEL } from "../../core/controllers/daemon-set/daemon-pod.ts";
import { controllerOf } from "../../core/controllers/owners.ts";
import { podNodeName } from "../../core/controllers/pods.ts";
import type { Taint } from "../../core/resources/cluster.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import { eventually, startControllerHarness, type ControllerHarness } from "./harness.ts";

let h: ControllerHarness | undefined;
let controller: DaemonSetController;

afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function start(): Promise<ControllerHarness> {
  h = await startControllerHarness((ctx) => [(controller = new DaemonSetController(ctx))]);
  return h;
}

async function addNode(h: ControllerHarness, name: string, taints?: Taint[]): Promise<void> {
  const now = rfc3339(Date.now());
  await h.registry.create("Node", "", {
    metadata: { name, labels: { "kubernetes.io/hostname": name } },
    spec: taints ? { taints } : {},
    status: { conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: now, lastTransitionTime: now }] },
  });
}

function daemonSet(image = "busybox:1"): object {
  return {
    metadata: { name: "agent" },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "agent", image }] } },
    },
  };
}

function daemonPods(h: ControllerHarness): KubeObject[] {
  return h.informer.list("Pod", "default").filter((p) => controllerOf(p)?.name === "agent");
}

/** Sorted node names of the DaemonSet's pods. */
function nodesWithPods(h: ControllerHarness): string[] {
  return daemonPods(h).map(podNodeName).sort();
}

async function setPodStatus(h: ControllerHarness, pod: KubeObject, phase: string, ready: boolean): Promise<void> {
  const now = rfc3339(Date.now());
  await h.registry.patch(
    "Pod",
    "default",
    pod.metadata.name ?? "",
    "application/merge-patch+json",
    { status: { phase, conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: now }] } },
    "status",
  );
}

test("one pod per node: new nodes get one, tainted nodes none, deleted nodes lose theirs", async () => {
  const h = await start();
  for (const n of ["pi-1", "pi-2", "pi-3"]) await addNode(h, n);
  await h.registry.create("DaemonSet", "default", daemonSet());

  expect(await eventually(() => nodesWithPods(h), (v) => v.length === 3)).toEqual(["pi-1", "pi-2", "pi-3"]);
  const pod = daemonPods(h)[0]!;
  expect(pod.metadata.labels?.[REVISION_HASH_LABEL]).toBeTruthy();
  expect((pod.spec as { tolerations?: { key?: string }[] }).tolerations?.map((t) => t.key)).toContain("node.kubernetes.io/not-ready");

  await addNode(h, "pi-4");
  expect(await eventually(() => nodesWithPods(h), (v) => v.length === 4)).toEqual(["pi-1", "pi-2", "pi-3", "pi-4"]);

  // The tainted node is added first: when pi-5's pod appears, the tainted one has been considered too.
  await addNode(h, "tainted", [{ key: "dedicated", value: "db", effect: "NoSchedule" }]);
  await addNode(h, "pi-5");
  expect(await eventually(() => nodesWithPods(h), (v) => v.includes("pi-5"))).toEqual(["pi-1", "pi-2", "pi-3", "pi-4", "pi-5"]);

  await h.registry.delete("Node", "", "pi-2");
  expect(await eventually(() => nodesWithPods(h), (v) => !v.includes("pi-2"))).toEqual(["pi-1", "pi-3", "pi-4", "pi-5"]);

  const status = await eventually(
    () => h.informer.get("DaemonSet", "default", "agent")?.status as Record<string, number> | undefined,
    (s) => s?.desiredNumberScheduled === 4 && s.currentNumberScheduled === 4,
  );
  expect(status).toMatchObject({ desiredNumberScheduled: 4, currentNumberScheduled: 4, numberMisscheduled: 0, numberReady: 0, numberUnavailable: 4, updatedNumberScheduled: 4 });
  await controller.queue.idle();
  expect(h.errors).toEqual([]);
});

test("a failed pod is replaced on its node", async () => {
  const h = await start();
  await addNode(h, "pi-1");
  await h.registry.create("DaemonSet", "default", daemonSet());
  const [first] = await eventually(() => daemonPods(h), (v) => v.length === 1);
  await setPodStatus(h, first!, "Failed", false);

  const replaced = await eventually(
    () => daemonPods(h),
    (v) => v.length === 1 && v[0]!.metadata.uid !== first!.metadata.uid,
  );
  expect(replaced.map((p) => [podNodeName(p), p.metadata.uid !== first!.metadata.uid])).toEqual([["pi-1", true]]);
  expect(h.errors).toEqual([]);
});

test("a rolling update replaces one pod at a time (maxUnavailable 1)", async () => {
  const h = await start();
  for (const n of ["pi-1", "pi-2", "pi-3"]) await addNode(h, n);
  await h.registry.create("DaemonSet", "default", daemonSet("busybox:1"));
  const initial = await eventually(() => daemonPods(h), (v) => v.length === 3);
  for (const p of initial) await setPodStatus(h, p, "Running", true);
  const oldHash = initial[0]!.metadata.labels?.[REVISION_HASH_LABEL];

  await h.registry.patch("DaemonSet", "default", "agent", "application/merge-patch+json", {
    spec: { template: { spec: { containers: [{ name: "agent", image: "busybox:2" }] } } },
  });

  const isOld = (p: KubeObject) => p.metadata.labels?.[REVISION_HASH_LABEL] === oldHash;
  for (let updated = 1; updated <= 3; updated++) {
    // The next new pod appears; until it is ready, no other old pod goes.
    const pods = await eventually(
      () => daemonPods(h),
      (v) => v.filter((p) => !isOld(p)).length === updated,
    );
    await controller.queue.idle();
    const now = daemonPods(h);
    expect(now.filter(isOld).length).toBe(3 - updated);
    expect(now.length).toBe(3);
    const fresh = pods.find((p) => !isOld(p) && (p.status as { phase?: string }).phase !== "Running")!;
    await setPodStatus(h, fresh, "Running", true);
  }
  const status = await eventually(
    () => h.informer.get("DaemonSet", "default", "agent")?.status as Record<string, number> | undefined,
    (s) => s?.updatedNumberScheduled === 3 && s.numberAvailable === 3,
  );
  expect(status).toMatchObject({ updatedNumberScheduled: 3, numberAvailable: 3, numberUnavailable: 0 });
  expect(h.errors).toEqual([]);
});
