// The Deployment planner as tables: rolling update steps under
// maxSurge/maxUnavailable (ints and percentages), Recreate, paused,
// proportional scaling, revision history, rollback onto an old ReplicaSet,
// hash collisions, claims and the Progressing condition with its deadline.

import { describe, expect, test } from "bun:test";
import { rfc3339 } from "../../core/clock.ts";
import { maxUnavailable, resolveFenceposts } from "../../core/controllers/deployment/fenceposts.ts";
import { planDeployment, type DeploymentAction, type DeploymentPlan } from "../../core/controllers/deployment/plan.ts";
import { buildNewReplicaSet, equalIgnoreHash } from "../../core/controllers/deployment/replica-sets.ts";
import { DESIRED_REPLICAS, MAX_REPLICAS, REVISION, REVISION_HISTORY } from "../../core/controllers/deployment/revisions.ts";
import { templateHash } from "../../core/controllers/template-hash.ts";
import { Deployment, ReplicaSet } from "../../core/resources/apps.ts";
import type { KubeObject } from "../../core/resources/object.ts";

const NOW = Date.parse("2026-03-01T10:00:00Z");
const at = (sec: number) => rfc3339(NOW + sec * 1000);

interface DOpts {
  replicas?: number;
  image?: string;
  strategy?: object;
  paused?: boolean;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  status?: Record<string, unknown>;
  annotations?: Record<string, string>;
}

function deployment(o: DOpts = {}): Deployment {
  return Deployment.parse({
    metadata: { name: "web", namespace: "default", uid: "d-uid", generation: 2, resourceVersion: "10", annotations: o.annotations },
    spec: {
      replicas: o.replicas ?? 10,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: o.image ?? "v1" }] } },
      strategy: o.strategy,
      paused: o.paused,
      revisionHistoryLimit: o.revisionHistoryLimit,
      progressDeadlineSeconds: o.progressDeadlineSeconds,
    },
    status: { observedGeneration: 2, ...o.status },
  });
}

interface RsOpts {
  available?: number;
  statusReplicas?: number;
  revision?: number;
  desired?: number;
  max?: number;
  collision?: number;
}

/** A ReplicaSet of the Deployment for image `vN` (created N minutes into the past order: v1 oldest). */
function rs(image: string, replicas: number, o: RsOpts = {}): ReplicaSet {
  const d = deployment({ image });
  const made = buildNewReplicaSet(d, templateHash(d.spec.template, o.collision ?? 0), replicas);
  const n = Number(image.slice(1));
  made.metadata = {
    ...made.metadata,
    uid: `uid-${image}`,
    resourceVersion: "5",
    generation: 1,
    creationTimestamp: at(-1000 + n * 60),
    annotations: { [REVISION]: String(o.revision ?? n), [DESIRED_REPLICAS]: String(o.desired ?? 10), [MAX_REPLICAS]: String(o.max ?? 13) },
  };
  const available = o.available ?? replicas;
  made.status = { replicas: o.statusReplicas ?? replicas, readyReplicas: available, availableReplicas: available, observedGeneration: 1 };
  return ReplicaSet.parse(made);
}

const imageOf = (x: ReplicaSet) => x.spec.template.spec.containers[0]!.image;

function plan(d: Deployment, rsList: ReplicaSet[], pods: KubeObject[] = []): DeploymentPlan {
  return planDeployment({ deployment: d, replicaSets: rsList, pods, now: NOW });
}

/** The plan as short text: `create v2=3`, `scale v1=8`, `delete v1`. */
function writes(p: DeploymentPlan): string[] {
  return p.actions.flatMap((a: DeploymentAction) => {
    if (a.type === "createReplicaSet") return [`create ${imageOf(a.rs)}=${a.rs.spec.replicas}`];
    if (a.type === "updateReplicaSet") return [`scale ${imageOf(a.rs)}=${a.rs.spec.replicas}`];
    if (a.type === "deleteReplicaSet") return [`delete ${imageOf(a.rs)}`];
    if (a.type === "adoptReplicaSet" || a.type === "releaseReplicaSet") return [`${a.type} ${a.rs.metadata.name}`];
    return [];
  });
}

const written = (p: DeploymentPlan) => p.actions.find((a) => a.type === "updateDeployment")?.deployment;
const progressing = (p: DeploymentPlan) => written(p)?.status.conditions?.find((c) => c.type === "Progressing");

test.each([
  // maxSurge, maxUnavailable, replicas -> surge, unavailable
  [1, 1, 10, 1, 1],
  ["25%", "25%", 10, 3, 2],
  ["25%", "25%", 1, 1, 0],
  ["10%", "30%", 5, 1, 1],
  ["0%", "10%", 5, 0, 1],
  [0, "10%", 3, 0, 1],
  ["50%", "0%", 4, 2, 0],
])("resolveFenceposts(%p, %p, %p) = surge %p, unavailable %p", (surge, unavail, replicas, wantSurge, wantUnavail) => {
  expect(resolveFenceposts(surge, unavail, replicas)).toEqual({ surge: wantSurge, unavailable: wantUnavail });
});

test("maxUnavailable is at most replicas, and 0 for Recreate", () => {
  expect(maxUnavailable(deployment({ replicas: 2, strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 5 } } }))).toBe(2);
  expect(maxUnavailable(deployment({ strategy: { type: "Recreate" } }))).toBe(0);
});

describe("RollingUpdate, 10 replicas, 25%/25% (surge 3, unavailable 2) unless said", () => {
  const rows: { name: string; d?: DOpts; rsList: ReplicaSet[]; want: string[] }[] = [
    { name: "a new template: the new ReplicaSet starts at maxSurge, old ones go down by maxUnavailable", d: { image: "v2" }, rsList: [rs("v1", 10)], want: ["create v2=3", "scale v1=8"] },
    { name: "the new ReplicaSet grows while the total stays within replicas + maxSurge", d: { image: "v2" }, rsList: [rs("v1", 8), rs("v2", 3, { available: 0 })], want: ["scale v2=5"] },
    { name: "no room and no new pod available: nothing moves", d: { image: "v2" }, rsList: [rs("v1", 8), rs("v2", 5, { available: 0 })], want: [] },
    { name: "new pods available: as many old ones go", d: { image: "v2" }, rsList: [rs("v1", 8), rs("v2", 5, { available: 3 })], want: ["scale v1=5"] },
    { name: "unavailable old pods go first, then available ones down to the minimum", d: { image: "v2" }, rsList: [rs("v1", 8, { available: 6 }), rs("v2", 5)], want: ["scale v1=3"] },
    { name: "old ReplicaSets go down oldest first", d: { image: "v3" }, rsList: [rs("v1", 4), rs("v2", 4), rs("v3", 5, { available: 3 })], want: ["scale v1=1"] },
    { name: "an old ReplicaSet whose status still counts pods it is deleting is not trusted beyond its spec", d: { image: "v2" }, rsList: [rs("v1", 5, { available: 8, statusReplicas: 8 }), rs("v2", 8, { available: 6 })], want: ["scale v1=2"] },
    { name: "done: nothing to scale", d: { image: "v2" }, rsList: [rs("v1", 0), rs("v2", 10)], want: [] },
    { name: "a new ReplicaSet above replicas comes down", d: { image: "v2", replicas: 3 }, rsList: [rs("v2", 5, { desired: 3 })], want: ["scale v2=3"] },
    { name: "maxSurge 1, maxUnavailable 0: one new pod, nothing old goes", d: { image: "v2", replicas: 3, strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }, rsList: [rs("v1", 3, { desired: 3 })], want: ["create v2=1"] },
    { name: "maxSurge 10% and maxUnavailable 30% of 5: surge 1 (up), unavailable 1 (down)", d: { image: "v2", replicas: 5, strategy: { rollingUpdate: { maxSurge: "10%", maxUnavailable: "30%" } } }, rsList: [rs("v1", 5, { desired: 5 })], want: ["create v2=1", "scale v1=4"] },
    { name: "maxSurge 0: old pods go before new ones come", d: { image: "v2", replicas: 4, strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } }, rsList: [rs("v1", 4, { desired: 4 })], want: ["create v2=0", "scale v1=3"] },
  ];
  for (const r of rows) test(r.name, () => expect(writes(plan(deployment(r.d), r.rsList))).toEqual(r.want));

  test("the invariant holds over a whole rollout played step by step", () => {
    for (const strategy of [{ rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }, { rollingUpdate: { maxSurge: "25%", maxUnavailable: "0%" } }, {}]) {
      const d = deployment({ image: "v2", strategy });
      const surge = resolveFenceposts(d.spec.strategy.rollingUpdate?.maxSurge, d.spec.strategy.rollingUpdate?.maxUnavailable, 10).surge;
      const unavailable = maxUnavailable(d);
      let list = [rs("v1", 10)];
      for (let step = 0; step < 60; step++) {
        const p = plan(d, list);
        for (const a of p.actions) {
          if (a.type === "createReplicaSet") list.push(ReplicaSet.parse({ ...a.rs, metadata: { ...a.rs.metadata, uid: "uid-v2", creationTimestamp: at(0) }, status: {} }));
          if (a.type === "updateReplicaSet") list = list.map((x) => (x.metadata.uid === a.rs.metadata.uid ? ReplicaSet.parse({ ...a.rs, status: x.status }) : x));
        }
        // The ReplicaSet controller: pods follow spec (surplus ones go, unavailable first).
        list = list.map((x) => ({ ...x, status: { replicas: x.spec.replicas, availableReplicas: Math.min(x.spec.replicas, x.status.availableReplicas ?? 0), observedGeneration: 1 } }));
        const total = list.reduce((n, x) => n + x.spec.replicas, 0);
        const avail = () => list.reduce((n, x) => n + (x.status.availableReplicas ?? 0), 0);
        expect(total).toBeLessThanOrEqual(10 + surge);
        expect(avail()).toBeGreaterThanOrEqual(10 - unavailable);
        // A kubelet: one more new pod turns available.
        list = list.map((x) =>
          imageOf(x) === "v2" ? { ...x, status: { ...x.status, availableReplicas: Math.min(x.spec.replicas, (x.status.availableReplicas ?? 0) + 1) } } : x,
        );
      }
      expect(list.map((x) => `${imageOf(x)}=${x.spec.replicas}`)).toEqual(["v1=0", "v2=10"]);
    }
  });
});

describe("Recreate, 3 replicas", () => {
  const recreate = { image: "v2", replicas: 3, strategy: { type: "Recreate" } };
  const podOf = (rsUid: string, phase: string): KubeObject => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `p-${phase}`, namespace: "default", ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "x", uid: rsUid, controller: true }] },
    status: { phase },
  });
  const rows: { name: string; rsList: ReplicaSet[]; pods?: KubeObject[]; want: string[] }[] = [
    { name: "old ReplicaSets go to zero first, and no new one yet", rsList: [rs("v1", 3, { desired: 3 })], want: ["scale v1=0"] },
    { name: "waits while the old ReplicaSet still reports pods", rsList: [rs("v1", 0, { desired: 3, statusReplicas: 2 })], want: [] },
    { name: "waits while an old pod still runs", rsList: [rs("v1", 0, { desired: 3 })], pods: [podOf("uid-v1", "Running")], want: [] },
    { name: "old pods gone (finished ones do not count): the new ReplicaSet at full size", rsList: [rs("v1", 0, { desired: 3 })], pods: [podOf("uid-v1", "Failed")], want: ["create v2=3"] },
    { name: "an existing new ReplicaSet is scaled up", rsList: [rs("v1", 0, { desired: 3 }), rs("v2", 0, { desired: 3 })], want: ["scale v2=3"] },
  ];
  for (const r of rows) test(r.name, () => expect(writes(plan(deployment(recreate), r.rsList, r.pods))).toEqual(r.want));
});

describe("paused", () => {
  test("a new template creates nothing while paused; Progressing turns Unknown DeploymentPaused", () => {
    const p = plan(deployment({ image: "v2", paused: true }), [rs("v1", 10)]);
    expect(writes(p)).toEqual([]);
    expect(progressing(p)).toMatchObject({ status: "Unknown", reason: "DeploymentPaused", message: "Deployment is paused" });
  });

  test("scaling still applies while paused", () => {
    expect(writes(plan(deployment({ replicas: 12, paused: true }), [rs("v1", 10)]))).toEqual(["scale v1=12"]);
  });

  test("resuming says so, and the rollout goes on", () => {
    const cond = { type: "Progressing", status: "Unknown", reason: "DeploymentPaused", lastUpdateTime: at(-5), lastTransitionTime: at(-5) };
    const p = plan(deployment({ image: "v2", status: { replicas: 10, updatedReplicas: 10, readyReplicas: 10, availableReplicas: 10, conditions: [cond] } }), [rs("v1", 10)]);
    expect(writes(p)).toEqual(["create v2=3", "scale v1=8"]);
    // Resumed first, then replaced by the creation of the new ReplicaSet in the same sync.
    expect(progressing(p)).toMatchObject({ status: "True", reason: "NewReplicaSetCreated" });
  });
});

describe("proportional scaling when replicas change mid-rollout", () => {
  const rows: { name: string; replicas: number; want: string[] }[] = [
    { name: "10 -> 20: 12 more spread by size (8:5), total 20 + surge 5", replicas: 20, want: ["scale v1=15", "scale v2=10"] },
    { name: "10 -> 5: 6 fewer spread by size, total 5 + surge 2", replicas: 5, want: ["scale v1=4", "scale v2=3"] },
    { name: "10 -> 0: everything goes", replicas: 0, want: ["scale v1=0", "scale v2=0"] },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const p = plan(deployment({ image: "v2", replicas: r.replicas }), [rs("v1", 8), rs("v2", 5, { available: 0 })]);
      expect(writes(p)).toEqual(r.want);
      for (const a of p.actions) if (a.type === "updateReplicaSet") expect(a.rs.metadata.annotations?.[DESIRED_REPLICAS]).toBe(String(r.replicas));
      expect(p.actions.some((a) => a.type === "updateDeployment")).toBe(true);
    });
  }

  test("a single active ReplicaSet takes the new count", () => {
    expect(writes(plan(deployment({ replicas: 4 }), [rs("v1", 10)]))).toEqual(["scale v1=4"]);
  });
});

describe("revisionHistoryLimit (applied once a rollout is complete)", () => {
  const old = (n: number, o: RsOpts = {}) => rs(`v${n}`, 0, o);
  const complete = { replicas: 10, updatedReplicas: 10, readyReplicas: 10, availableReplicas: 10 };
  test("beyond the limit, the oldest revisions at zero go", () => {
    expect(writes(plan(deployment({ image: "v5", revisionHistoryLimit: 2, status: complete }), [old(1), old(2), old(3), old(4), rs("v5", 10)]))).toEqual(["delete v1", "delete v2"]);
  });
  test("one that still reports pods is kept", () => {
    expect(writes(plan(deployment({ image: "v5", revisionHistoryLimit: 2, status: complete }), [old(1, { statusReplicas: 1, available: 0 }), old(2), old(3), old(4), rs("v5", 10)]))).toEqual(["delete v2"]);
  });
  test("limit 0 keeps no old ReplicaSet; nothing is deleted mid-rollout", () => {
    expect(writes(plan(deployment({ image: "v2", revisionHistoryLimit: 0, status: complete }), [old(1), rs("v2", 10)]))).toEqual(["delete v1"]);
    expect(writes(plan(deployment({ image: "v3", revisionHistoryLimit: 0 }), [old(1), rs("v2", 8), rs("v3", 5, { available: 0 })]))).toEqual([]);
  });
});

function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]));
}

describe("rollback", () => {
  test("the old template written back in another shape matches the old ReplicaSet: it is reused with revision max+1", () => {
    const d = deployment({ image: "v1", replicas: 10, annotations: { [REVISION]: "2" } });
    // kubectl writes it back without the hash label; nulls, empty maps and key order must not matter.
    const t = d.spec.template as unknown as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    t.metadata.annotations = {};
    t.spec.nodeSelector = null;
    d.spec.template = reverseKeys(d.spec.template) as typeof d.spec.template;
    const p = plan(d, [rs("v1", 0, { revision: 1 }), rs("v2", 10, { revision: 2 })]);
    expect(writes(p).filter((w) => w.startsWith("create"))).toEqual([]);
    const v1 = p.actions.find((a) => a.type === "updateReplicaSet" && imageOf(a.rs) === "v1");
    expect(v1?.type === "updateReplicaSet" && v1.rs.metadata.annotations).toMatchObject({ [REVISION]: "3", [REVISION_HISTORY]: "1" });
    expect(writes(p)).toEqual(["scale v1=3"]);
    expect(written(p)?.metadata.annotations?.[REVISION]).toBe("3");
  });

  test("equalIgnoreHash ignores only the pod-template-hash label", () => {
    const a = rs("v1", 1).spec.template;
    expect(equalIgnoreHash(a, deployment({ image: "v1" }).spec.template)).toBe(true);
    expect(equalIgnoreHash(a, deployment({ image: "v2" }).spec.template)).toBe(false);
    const relabeled = structuredClone(a);
    relabeled.metadata.labels = { ...relabeled.metadata.labels, extra: "x" };
    expect(equalIgnoreHash(a, relabeled)).toBe(false);
  });
});

describe("collisions and claims", () => {
  test("a name taken by another template bumps collisionCount and creates nothing", () => {
    const squatter = rs("v2", 1);
    squatter.metadata = { ...squatter.metadata, labels: { app: "other" }, ownerReferences: undefined };
    squatter.spec.template.spec.containers[0]!.image = "something-else";
    const p = plan(deployment({ image: "v2" }), [rs("v1", 10), squatter]);
    expect(writes(p)).toEqual([]);
    expect(written(p)?.status.collisionCount).toBe(1);
  });

  test("with collisionCount the next hash is used", () => {
    const p = plan(deployment({ image: "v2", status: { collisionCount: 1 } }), [rs("v1", 10)]);
    const created = p.actions.find((a) => a.type === "createReplicaSet");
    const d = deployment({ image: "v2" });
    expect(created?.rs.metadata.name).toBe(`web-${templateHash(d.spec.template, 1)}`);
  });

  test("adopts a matching orphan ReplicaSet and releases one that stopped matching", () => {
    const orphan = rs("v1", 10);
    orphan.metadata.ownerReferences = undefined;
    const strayed = rs("v0", 0);
    strayed.metadata.labels = { app: "other" };
    expect(writes(plan(deployment(), [orphan, strayed]))).toEqual([`adoptReplicaSet ${orphan.metadata.name}`, `releaseReplicaSet ${strayed.metadata.name}`]);
  });
});

describe("Progressing and its deadline", () => {
  const midRollout = { replicas: 13, updatedReplicas: 5, readyReplicas: 8, availableReplicas: 8 };
  const cond = (reason: string, updated: number, transitioned = updated) => ({ type: "Progressing", status: "True", reason, lastUpdateTime: at(updated), lastTransitionTime: at(transitioned) });
  const stuck = [rs("v1", 8), rs("v2", 5, { available: 0 })];

  test("a new ReplicaSet: NewReplicaSetCreated, Available while enough pods are", () => {
    const p = plan(deployment({ image: "v2", status: { replicas: 10, updatedReplicas: 10, readyReplicas: 10, availableReplicas: 10 } }), [rs("v1", 10)]);
    const name = p.actions.find((a) => a.type === "createReplicaSet")?.rs.metadata.name;
    expect(progressing(p)).toMatchObject({ status: "True", reason: "NewReplicaSetCreated", message: `Created new replica set "${name}"`, lastUpdateTime: at(0) });
    expect(written(p)?.status.conditions?.find((c) => c.type === "Available")).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable" });
    expect(written(p)?.metadata.annotations?.[REVISION]).toBe("2");
  });

  test("progress moves lastUpdateTime and keeps lastTransitionTime", () => {
    const d = deployment({ image: "v2", status: { ...midRollout, conditions: [cond("ReplicaSetUpdated", -300, -600)] } });
    const p = plan(d, [rs("v1", 8), rs("v2", 5, { available: 2 })]);
    expect(progressing(p)).toMatchObject({ status: "True", reason: "ReplicaSetUpdated", lastUpdateTime: at(0), lastTransitionTime: at(-600) });
  });

  test("no progress within the deadline: unchanged, and a look again when it passes", () => {
    const d = deployment({ image: "v2", progressDeadlineSeconds: 60, status: { ...midRollout, conditions: [cond("ReplicaSetUpdated", -20)] } });
    const p = plan(d, stuck);
    expect(progressing(p) ?? d.status.conditions?.[0]).toMatchObject({ status: "True", reason: "ReplicaSetUpdated" });
    expect(p.requeueAfter).toBeGreaterThanOrEqual(40_000);
    expect(p.requeueAfter).toBeLessThan(41_000);
  });

  test("no progress past the deadline: False ProgressDeadlineExceeded", () => {
    const d = deployment({ image: "v2", progressDeadlineSeconds: 60, status: { ...midRollout, conditions: [cond("ReplicaSetUpdated", -61)] } });
    const p = plan(d, stuck);
    expect(progressing(p)).toMatchObject({ status: "False", reason: "ProgressDeadlineExceeded", message: `ReplicaSet "${stuck[1]!.metadata.name}" has timed out progressing.`, lastTransitionTime: at(0) });
    expect(p.requeueAfter).toBeUndefined();
  });

  test("complete: NewReplicaSetAvailable, and no deadline to watch", () => {
    const d = deployment({ image: "v2", status: { replicas: 10, updatedReplicas: 10, availableReplicas: 9, readyReplicas: 9, conditions: [cond("ReplicaSetUpdated", -5)] } });
    const p = plan(d, [rs("v1", 0), rs("v2", 10)]);
    expect(progressing(p)).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable" });
    expect(written(p)?.status).toMatchObject({ replicas: 10, updatedReplicas: 10, availableReplicas: 10, unavailableReplicas: 0, observedGeneration: 2 });
    expect(p.requeueAfter).toBeUndefined();
  });

  test("without a deadline (MaxInt32) there is no Progressing condition", () => {
    const p = plan(deployment({ image: "v2", progressDeadlineSeconds: 2147483647 }), [rs("v1", 10)]);
    expect(progressing(p)).toBeUndefined();
    expect(written(p)?.status.conditions?.map((c) => c.type)).toEqual(["Available"]);
  });
});
