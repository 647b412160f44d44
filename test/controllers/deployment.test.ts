// The Deployment and ReplicaSet controllers together through the real store,
// with the test playing the kubelet (pod status through the status
// subresource): scaling, a rolling update checked after every step against
// maxSurge/maxUnavailable, Recreate, a rollback that reuses the old
// ReplicaSet, and a progress deadline that runs out.

import { afterEach, expect, test } from "bun:test";
import { rfc3339 } from "../../core/clock.ts";
import { DeploymentController } from "../../core/controllers/deployment/controller.ts";
import { POD_TEMPLATE_HASH } from "../../core/controllers/deployment/replica-sets.ts";
import { REVISION, REVISION_HISTORY } from "../../core/controllers/deployment/revisions.ts";
import { controllerOf, isControlledBy } from "../../core/controllers/owners.ts";
import { isPodReady } from "../../core/controllers/pods.ts";
import { ReplicaSetController } from "../../core/controllers/replica-set/controller.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import { eventually, startControllerHarness, type ControllerHarness } from "./harness.ts";

let h: ControllerHarness | undefined;
let controllers: (DeploymentController | ReplicaSetController)[] = [];

afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function start(): Promise<ControllerHarness> {
  h = await startControllerHarness((ctx) => (controllers = [new DeploymentController(ctx), new ReplicaSetController(ctx)]));
  return h;
}

const MERGE = "application/merge-patch+json";

interface Status {
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

function deployment(replicas: number, image: string, spec: Record<string, unknown> = {}): object {
  return {
    metadata: { name: "web" },
    spec: {
      replicas,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image }] } },
      ...spec,
    },
  };
}

const dep = (h: ControllerHarness) => h.informer.get("Deployment", "default", "web")!;
const depStatus = (h: ControllerHarness) => (dep(h)?.status ?? {}) as Status;
const condition = (s: Status, type: string) => s.conditions?.find((c) => c.type === type);
const replicaSets = (h: ControllerHarness) => h.informer.list("ReplicaSet", "default").filter((rs) => isControlledBy(rs, dep(h)));
const specOf = (rs: KubeObject) => (rs.spec as { replicas: number }).replicas;
const pods = (h: ControllerHarness) => h.informer.list("Pod", "default").filter((p) => !p.metadata.deletionTimestamp);
const podsOf = (h: ControllerHarness, rs: KubeObject) => pods(h).filter((p) => controllerOf(p)?.uid === rs.metadata.uid);
const imageOf = (rs: KubeObject) => (rs.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image;

async function markReady(h: ControllerHarness, pod: KubeObject): Promise<void> {
  const conditions = [{ type: "Ready", status: "True", lastTransitionTime: rfc3339(Date.now()) }];
  await h.registry.patch("Pod", "default", pod.metadata.name!, MERGE, { status: { phase: "Running", conditions } }, "status").catch(() => undefined);
}

/** Plays a kubelet that starts every new pod at once, until `running` is turned off. */
function autoKubelet(h: ControllerHarness): { running: boolean } {
  const kubelet = { running: true };
  h.informer.on({ add: (o) => void (kubelet.running && o.kind === "Pod" && markReady(h, o)) });
  return kubelet;
}

/** Waits until nothing moves: queues idle, every ReplicaSet's status caught up with its spec and pods, and the same picture twice. */
async function settle(h: ControllerHarness): Promise<void> {
  const picture = () =>
    JSON.stringify([
      replicaSets(h).map((rs) => [rs.metadata.name, rs.metadata.resourceVersion]),
      pods(h).map((p) => [p.metadata.name, p.metadata.resourceVersion]),
      dep(h).metadata.resourceVersion,
    ]);
  const caughtUp = () =>
    (depStatus(h).observedGeneration ?? 0) === dep(h).metadata.generation &&
    replicaSets(h).every((rs) => {
      const s = (rs.status ?? {}) as Status;
      return s.observedGeneration === rs.metadata.generation && (s.replicas ?? 0) === specOf(rs) && podsOf(h, rs).length === specOf(rs);
    });
  let last = "";
  for (let i = 0; i < 300; i++) {
    await Promise.all(controllers.map((c) => c.queue.idle()));
    await Bun.sleep(20);
    const now = picture();
    if (now === last && caughtUp()) return;
    last = now;
  }
  throw new Error("the controllers did not settle");
}

async function scalingEvents(h: ControllerHarness): Promise<string[]> {
  const evs = (await h.store.list("Event")).items as (KubeObject & { reason?: string; message?: string })[];
  return evs.filter((e) => e.reason === "ScalingReplicaSet").map((e) => e.message ?? "");
}

test("a Deployment scaled 0 -> 5 -> 2: one ReplicaSet and its pods follow, statuses right", async () => {
  const h = await start();
  autoKubelet(h);
  await h.registry.create("Deployment", "default", deployment(0, "busybox:1"));
  await settle(h);
  const [rs] = replicaSets(h);
  expect(replicaSets(h)).toHaveLength(1);
  const hash = rs!.metadata.labels?.[POD_TEMPLATE_HASH];
  expect(rs!.metadata.name).toBe(`web-${hash}`);
  expect(rs!.spec).toMatchObject({ replicas: 0, selector: { matchLabels: { app: "web", [POD_TEMPLATE_HASH]: hash } }, template: { metadata: { labels: { app: "web", [POD_TEMPLATE_HASH]: hash } } } });
  expect(rs!.metadata.annotations).toMatchObject({ [REVISION]: "1", "deployment.kubernetes.io/desired-replicas": "0", "deployment.kubernetes.io/max-replicas": "0" });
  expect(dep(h).metadata.annotations?.[REVISION]).toBe("1");

  await h.registry.patch("Deployment", "default", "web", MERGE, { spec: { replicas: 5 } });
  await eventually(() => depStatus(h), (s) => s.availableReplicas === 5 && s.observedGeneration === 2);
  await settle(h);
  expect(podsOf(h, rs!)).toHaveLength(5);
  expect(replicaSets(h)).toHaveLength(1);
  expect(depStatus(h)).toMatchObject({ observedGeneration: 2, replicas: 5, updatedReplicas: 5, readyReplicas: 5, availableReplicas: 5, unavailableReplicas: 0 });
  expect(condition(depStatus(h), "Available")).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable" });
  expect(condition(depStatus(h), "Progressing")).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable", message: `ReplicaSet "${rs!.metadata.name}" has successfully progressed.` });
  expect(replicaSets(h)[0]!.metadata.annotations).toMatchObject({ "deployment.kubernetes.io/desired-replicas": "5", "deployment.kubernetes.io/max-replicas": "7" });

  await h.registry.patch("Deployment", "default", "web", MERGE, { spec: { replicas: 2 } });
  await eventually(() => depStatus(h), (s) => s.replicas === 2 && s.observedGeneration === 3);
  await settle(h);
  expect(podsOf(h, rs!)).toHaveLength(2);
  expect(specOf(replicaSets(h)[0]!)).toBe(2);
  expect(depStatus(h)).toMatchObject({ replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 0 });
  expect(await eventually(() => scalingEvents(h), (e) => e.length === 2)).toEqual([`Scaled up replica set ${rs!.metadata.name} to 5`, `Scaled down replica set ${rs!.metadata.name} to 2`]);
  expect(h.errors).toEqual([]);
});

for (const { replicas, maxSurge, maxUnavailable, surge, unavailable } of [
  { replicas: 4, maxSurge: 1, maxUnavailable: 1, surge: 1, unavailable: 1 },
  { replicas: 4, maxSurge: "50%", maxUnavailable: "0%", surge: 2, unavailable: 0 },
  { replicas: 5, maxSurge: "10%", maxUnavailable: "30%", surge: 1, unavailable: 1 },
]) {
  test(`a rolling update with maxSurge ${maxSurge} and maxUnavailable ${maxUnavailable} keeps within its bounds at every step`, async () => {
    const h = await start();
    const kubelet = autoKubelet(h);
    const strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge, maxUnavailable } };
    await h.registry.create("Deployment", "default", deployment(replicas, "busybox:1", { strategy }));
    await eventually(() => depStatus(h), (s) => s.availableReplicas === replicas);
    await settle(h);
    const [oldRS] = replicaSets(h);

    // From here on the test starts new pods itself, one at a time.
    kubelet.running = false;
    const violations: string[] = [];
    const watch = () => {
      const total = replicaSets(h).reduce((n, rs) => n + specOf(rs), 0);
      const ready = pods(h).filter(isPodReady).length;
      if (total > replicas + surge) violations.push(`replica sets ask for ${total} pods`);
      if (ready < replicas - unavailable) violations.push(`only ${ready} pods available`);
    };
    h.informer.on({ add: watch, update: watch, delete: watch });

    await h.registry.patch("Deployment", "default", "web", MERGE, { spec: { template: { spec: { containers: [{ name: "web", image: "busybox:2" }] } } } });
    let steps = 0;
    for (;;) {
      await settle(h);
      const all = pods(h);
      expect(all.length).toBeLessThanOrEqual(replicas + surge);
      expect(all.filter(isPodReady).length).toBeGreaterThanOrEqual(replicas - unavailable);
      const waiting = all.filter((p) => !isPodReady(p));
      if (!waiting.length) break;
      await markReady(h, waiting[0]!);
      expect(++steps).toBeLessThan(50);
    }
    const rsNow = replicaSets(h);
    const newRS = rsNow.find((rs) => rs.metadata.uid !== oldRS!.metadata.uid)!;
    expect(imageOf(newRS)).toBe("busybox:2");
    expect(specOf(newRS)).toBe(replicas);
    expect(specOf(rsNow.find((rs) => rs.metadata.uid === oldRS!.metadata.uid)!)).toBe(0);
    expect(pods(h).every((p) => controllerOf(p)?.uid === newRS.metadata.uid)).toBe(true);
    expect(podsOf(h, newRS)).toHaveLength(replicas);
    expect(newRS.metadata.annotations?.[REVISION]).toBe("2");
    expect(dep(h).metadata.annotations?.[REVISION]).toBe("2");
    expect(depStatus(h)).toMatchObject({ replicas, updatedReplicas: replicas, availableReplicas: replicas, unavailableReplicas: 0 });
    expect(condition(depStatus(h), "Progressing")).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable" });
    expect(violations).toEqual([]);
    expect(h.errors).toEqual([]);
  });
}

test("a rollback writes the old template back: the old ReplicaSet is reused and its revision becomes the newest", async () => {
  const h = await start();
  autoKubelet(h);
  await h.registry.create("Deployment", "default", deployment(2, "busybox:1"));
  await eventually(() => depStatus(h), (s) => s.availableReplicas === 2);
  await settle(h);
  const [v1] = replicaSets(h);
  await h.registry.patch("Deployment", "default", "web", MERGE, { spec: { template: { spec: { containers: [{ name: "web", image: "busybox:2" }] } } } });
  await eventually(() => depStatus(h), (s) => s.updatedReplicas === 2 && s.replicas === 2 && s.availableReplicas === 2 && s.observedGeneration === 2);
  await settle(h);
  expect(replicaSets(h)).toHaveLength(2);

  // What `kubectl rollout undo` does: the old ReplicaSet's template, without its pod-template-hash label.
  const template = structuredClone((v1!.spec as { template: { metadata: { labels: Record<string, string> } } }).template);
  delete template.metadata.labels[POD_TEMPLATE_HASH];
  await h.registry.patch("Deployment", "default", "web", "application/json-patch+json", [{ op: "replace", path: "/spec/template", value: template }]);
  await eventually(() => depStatus(h), (s) => s.observedGeneration === 3 && s.updatedReplicas === 2 && s.replicas === 2 && s.availableReplicas === 2);
  await settle(h);

  const rsNow = replicaSets(h);
  expect(rsNow).toHaveLength(2);
  const reused = rsNow.find((rs) => rs.metadata.uid === v1!.metadata.uid)!;
  expect(specOf(reused)).toBe(2);
  expect(reused.metadata.annotations).toMatchObject({ [REVISION]: "3", [REVISION_HISTORY]: "1" });
  expect(dep(h).metadata.annotations?.[REVISION]).toBe("3");
  expect(specOf(rsNow.find((rs) => rs.metadata.uid !== v1!.metadata.uid)!)).toBe(0);
  expect(pods(h).every((p) => controllerOf(p)?.uid === v1!.metadata.uid)).toBe(true);
  expect(h.errors).toEqual([]);
});

test("progressDeadlineSeconds passes without progress: Progressing=False ProgressDeadlineExceeded, until pods turn ready", async () => {
  const h = await start();
  await h.registry.create("Deployment", "default", deployment(2, "busybox:1", { progressDeadlineSeconds: 1 }));
  const rs = await eventually(() => replicaSets(h)[0], (x) => x !== undefined);
  const timedOut = await eventually(() => depStatus(h), (s) => condition(s, "Progressing")?.status === "False", 5000);
  expect(condition(timedOut, "Progressing")).toMatchObject({ status: "False", reason: "ProgressDeadlineExceeded", message: `ReplicaSet "${rs!.metadata.name}" has timed out progressing.` });
  expect(condition(timedOut, "Available")).toMatchObject({ status: "False", reason: "MinimumReplicasUnavailable" });

  for (const p of pods(h)) await markReady(h, p);
  const done = await eventually(() => depStatus(h), (s) => condition(s, "Progressing")?.reason === "NewReplicaSetAvailable");
  expect(condition(done, "Progressing")).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable" });
  expect(condition(done, "Available")).toMatchObject({ status: "True" });
  expect(h.errors).toEqual([]);
});

test("Recreate: old pods are all gone before any new pod exists", async () => {
  const h = await start();
  autoKubelet(h);
  await h.registry.create("Deployment", "default", deployment(3, "busybox:1", { strategy: { type: "Recreate" } }));
  await eventually(() => depStatus(h), (s) => s.availableReplicas === 3);
  await settle(h);
  const [oldRS] = replicaSets(h);
  const mixed: string[] = [];
  h.informer.on({
    add: (o) => {
      if (o.kind !== "Pod") return;
      const old = pods(h).filter((p) => controllerOf(p)?.uid === oldRS!.metadata.uid);
      if (controllerOf(o)?.uid !== oldRS!.metadata.uid && old.length) mixed.push(`${o.metadata.name} created while ${old.length} old pods exist`);
    },
  });
  await h.registry.patch("Deployment", "default", "web", MERGE, { spec: { template: { spec: { containers: [{ name: "web", image: "busybox:2" }] } } } });
  await eventually(() => depStatus(h), (s) => s.observedGeneration === 2 && s.updatedReplicas === 3 && s.availableReplicas === 3 && s.replicas === 3);
  await settle(h);
  expect(mixed).toEqual([]);
  const newRS = replicaSets(h).find((rs) => rs.metadata.uid !== oldRS!.metadata.uid)!;
  expect(podsOf(h, newRS)).toHaveLength(3);
  expect(imageOf(newRS)).toBe("busybox:2");
  expect(await eventually(() => scalingEvents(h), (e) => e.length === 3)).toEqual([
    `Scaled up replica set ${oldRS!.metadata.name} to 3`,
    `Scaled down replica set ${oldRS!.metadata.name} to 0`,
    `Scaled up replica set ${newRS.metadata.name} to 3`,
  ]);
  expect(h.errors).toEqual([]);
});
