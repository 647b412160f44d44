// The StatefulSet controller through the real store: pods appear strictly
// in ordinal order as the test (playing the node agent) marks each Running
// and Ready, and a scale-down deletes from the highest ordinal, waiting for
// each deletion to finish.

import { afterEach, expect, test } from "bun:test";
import { rfc3339 } from "../../core/clock.ts";
import { StatefulSetController } from "../../core/controllers/stateful-set/controller.ts";
import { POD_NAME_LABEL } from "../../core/controllers/stateful-set/identity.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import { eventually, startControllerHarness, type ControllerHarness } from "./harness.ts";

let h: ControllerHarness | undefined;
let controller: StatefulSetController;

afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function start(): Promise<ControllerHarness> {
  h = await startControllerHarness((ctx) => [(controller = new StatefulSetController(ctx))]);
  return h;
}

const MERGE = "application/merge-patch+json";

function statefulSet(replicas: number, podManagementPolicy = "OrderedReady"): object {
  return {
    metadata: { name: "web" },
    spec: {
      replicas,
      serviceName: "web",
      podManagementPolicy,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "busybox" }] } },
    },
  };
}

const pod = (h: ControllerHarness, name: string) => h.informer.get("Pod", "default", name);
const podNames = (h: ControllerHarness) =>
  h.informer
    .list("Pod", "default")
    .map((p) => p.metadata.name ?? "")
    .sort();

async function setPodStatus(h: ControllerHarness, name: string, phase: string, ready: boolean): Promise<void> {
  const now = rfc3339(Date.now());
  await h.registry.patch("Pod", "default", name, MERGE, { status: { phase, conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: now }] } }, "status");
}

test("pods appear strictly in order, each after the previous is Running and Ready; scale-down goes from the top", async () => {
  const h = await start();
  await h.registry.create("StatefulSet", "default", statefulSet(3));

  for (let i = 0; i < 3; i++) {
    const created = await eventually(() => pod(h, `web-${i}`), (p) => p !== undefined);
    expect(created?.metadata.labels?.[POD_NAME_LABEL]).toBe(`web-${i}`);
    expect(created?.spec).toMatchObject({ hostname: `web-${i}`, subdomain: "web" });
    await controller.queue.idle();
    expect(pod(h, `web-${i + 1}`)).toBeUndefined();

    // Running but not ready is not enough.
    await setPodStatus(h, `web-${i}`, "Running", false);
    await controller.queue.idle();
    expect(pod(h, `web-${i + 1}`)).toBeUndefined();

    await setPodStatus(h, `web-${i}`, "Running", true);
  }
  await controller.queue.idle();
  expect(podNames(h)).toEqual(["web-0", "web-1", "web-2"]);
  const status = await eventually(
    () => h.informer.get("StatefulSet", "default", "web")?.status as Record<string, unknown> | undefined,
    (s) => s?.readyReplicas === 3,
  );
  expect(status).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3 });
  expect(status?.currentRevision).toBe(status?.updateRevision);

  const deleted: string[] = [];
  h.informer.on({ delete: (o) => o.kind === "Pod" && deleted.push(o.metadata.name ?? "") });
  // Hold web-2's deletion with a finalizer to see that web-1 waits for it.
  await h.registry.patch("Pod", "default", "web-2", MERGE, { metadata: { finalizers: ["test.tug.dev/hold"] } });
  await h.registry.patch("StatefulSet", "default", "web", MERGE, { spec: { replicas: 1 } });

  await eventually(() => pod(h, "web-2")?.metadata.deletionTimestamp, (t) => t !== undefined);
  await controller.queue.idle();
  expect(pod(h, "web-1")?.metadata.deletionTimestamp).toBeUndefined();

  await h.registry.patch("Pod", "default", "web-2", MERGE, { metadata: { finalizers: null } });
  expect(await eventually(() => podNames(h), (v) => v.length === 1)).toEqual(["web-0"]);
  expect(deleted).toEqual(["web-2", "web-1"]);
  await controller.queue.idle();
  expect(h.errors).toEqual([]);
});

test("Parallel creates every pod at once, and a failed pod comes back under its name", async () => {
  const h = await start();
  await h.registry.create("StatefulSet", "default", statefulSet(3, "Parallel"));
  expect(await eventually(() => podNames(h), (v) => v.length === 3)).toEqual(["web-0", "web-1", "web-2"]);

  const before = pod(h, "web-1") as KubeObject;
  await setPodStatus(h, "web-1", "Failed", false);
  const after = await eventually(
    () => pod(h, "web-1"),
    (p) => p !== undefined && p.metadata.uid !== before.metadata.uid,
  );
  expect(after?.metadata.uid).not.toBe(before.metadata.uid);
  expect((after?.status as { phase?: string }).phase).toBe("Pending");
  await controller.queue.idle();
  expect(h.errors).toEqual([]);
});

test("a rolling update replaces pods from the highest ordinal down, each after its replacement is ready", async () => {
  const h = await start();
  await h.registry.create("StatefulSet", "default", statefulSet(3, "Parallel"));
  await eventually(() => podNames(h), (v) => v.length === 3);
  for (const n of ["web-0", "web-1", "web-2"]) await setPodStatus(h, n, "Running", true);
  const oldRevision = pod(h, "web-0")?.metadata.labels?.["controller-revision-hash"];

  await h.registry.patch("StatefulSet", "default", "web", MERGE, { spec: { template: { spec: { containers: [{ name: "web", image: "busybox:2" }] } } } });
  const revisionOf = (n: string) => pod(h, n)?.metadata.labels?.["controller-revision-hash"];
  for (const [target, below] of [["web-2", ["web-0", "web-1"]], ["web-1", ["web-0"]], ["web-0", []]] as const) {
    await eventually(() => revisionOf(target), (r) => r !== undefined && r !== oldRevision);
    await controller.queue.idle();
    for (const b of below) expect(revisionOf(b)).toBe(oldRevision);
    await setPodStatus(h, target, "Running", true);
  }
  const status = await eventually(
    () => h.informer.get("StatefulSet", "default", "web")?.status as Record<string, unknown> | undefined,
    (s) => s?.updatedReplicas === 3 && s.readyReplicas === 3,
  );
  expect(status?.currentRevision).toBe(status?.updateRevision);
  expect(status?.currentRevision).not.toBe(oldRevision);
  expect(h.errors).toEqual([]);
});
