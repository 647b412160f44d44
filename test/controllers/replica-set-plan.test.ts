// The ReplicaSet planner, its status and its helpers, as tables: how many
// pods to create or which to delete, claims (adopt/release), the order
// surplus pods go in, slow-start batches, status counts and expectations.

import { describe, expect, test } from "bun:test";
import { rfc3339 } from "../../core/clock.ts";
import { Expectations, EXPECTATIONS_TIMEOUT_MS } from "../../core/controllers/replica-set/expectations.ts";
import { BURST_REPLICAS, planReplicaSet, slowStartBatches } from "../../core/controllers/replica-set/plan.ts";
import { compareForDeletion, podsToDelete, POD_DELETION_COST } from "../../core/controllers/replica-set/pod-order.ts";
import { nextAvailableIn, planReplicaSetStatus, replicaSetStatusChanged } from "../../core/controllers/replica-set/status.ts";
import { ReplicaSet } from "../../core/resources/apps.ts";
import type { KubeObject } from "../../core/resources/object.ts";

const NOW = Date.parse("2026-03-01T10:00:00Z");
const RS_UID = "rs-uid";
const at = (sec: number) => rfc3339(NOW + sec * 1000);

function rs(replicas: number, extra: { minReadySeconds?: number; deleting?: boolean; conditions?: object[] } = {}): ReplicaSet {
  return ReplicaSet.parse({
    metadata: { name: "web", namespace: "default", uid: RS_UID, generation: 3, ...(extra.deleting ? { deletionTimestamp: at(0) } : {}) },
    spec: {
      replicas,
      minReadySeconds: extra.minReadySeconds,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web", tier: "fe" } }, spec: { containers: [{ name: "c", image: "busybox" }] } },
    },
    status: extra.conditions ? { conditions: extra.conditions } : {},
  });
}

interface PodOpts {
  owner?: string | null;
  labels?: Record<string, string>;
  phase?: string;
  ready?: boolean;
  readySince?: number;
  node?: string;
  created?: number;
  restarts?: number;
  deleting?: boolean;
  cost?: number;
}

function pod(name: string, o: PodOpts = {}): KubeObject {
  const owner = o.owner === undefined ? RS_UID : o.owner;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      labels: o.labels ?? { app: "web", tier: "fe" },
      creationTimestamp: o.created === undefined ? undefined : at(o.created),
      ...(o.cost !== undefined ? { annotations: { [POD_DELETION_COST]: String(o.cost) } } : {}),
      ...(o.deleting ? { deletionTimestamp: at(0) } : {}),
      ...(owner ? { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: owner === RS_UID ? "web" : "other", uid: owner, controller: true }] } : {}),
    },
    spec: { nodeName: o.node },
    status: {
      phase: o.phase ?? "Running",
      conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True", lastTransitionTime: at(o.readySince ?? -100) }],
      containerStatuses: [{ name: "c", restartCount: o.restarts ?? 0 }],
    },
  };
}

describe("planReplicaSet", () => {
  const cases: { name: string; rs: ReplicaSet; pods: KubeObject[]; satisfied?: boolean; want: string[] }[] = [
    { name: "scale up from nothing", rs: rs(3), pods: [], want: ["create 3"] },
    { name: "scale up by the difference", rs: rs(3), pods: [pod("a")], want: ["create 2"] },
    { name: "at most BURST_REPLICAS per reconcile", rs: rs(BURST_REPLICAS + 200), pods: [], want: [`create ${BURST_REPLICAS}`] },
    { name: "nothing to do", rs: rs(2), pods: [pod("a"), pod("b")], want: [] },
    { name: "scale down deletes the not-ready pod", rs: rs(1), pods: [pod("a"), pod("b", { ready: false })], want: ["delete b"] },
    { name: "a Failed pod is not counted: it is replaced", rs: rs(2), pods: [pod("a"), pod("b", { phase: "Failed", ready: false })], want: ["create 1"] },
    { name: "a Succeeded pod is not counted", rs: rs(1), pods: [pod("a", { phase: "Succeeded" })], want: ["create 1"] },
    { name: "a pod being deleted is not counted", rs: rs(1), pods: [pod("a", { deleting: true })], want: ["create 1"] },
    { name: "creates and deletes wait for expectations", rs: rs(3), pods: [], satisfied: false, want: [] },
    { name: "a ReplicaSet being deleted neither creates nor deletes", rs: rs(3, { deleting: true }), pods: [pod("a")], want: [] },
    { name: "adopts a matching orphan and counts it", rs: rs(2), pods: [pod("a"), pod("o", { owner: null })], want: ["adopt o"] },
    { name: "ignores an orphan that does not match", rs: rs(1), pods: [pod("a"), pod("o", { owner: null, labels: { app: "db" } })], want: [] },
    { name: "ignores an orphan being deleted", rs: rs(1), pods: [pod("o", { owner: null, deleting: true })], want: ["create 1"] },
    { name: "ignores a matching pod of another controller", rs: rs(1), pods: [pod("x", { owner: "other-uid" })], want: ["create 1"] },
    { name: "releases a pod that stopped matching and replaces it", rs: rs(1), pods: [pod("a", { labels: { app: "db" } })], want: ["release a", "create 1"] },
    { name: "a ReplicaSet being deleted releases nothing", rs: rs(1, { deleting: true }), pods: [pod("a", { labels: { app: "db" } })], want: [] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const plan = planReplicaSet({ rs: c.rs, pods: c.pods, expectationsSatisfied: c.satisfied ?? true });
      const got = plan.actions.map((a) =>
        a.type === "create" ? `create ${a.count}` : a.type === "delete" ? `delete ${a.pods.map((p) => p.metadata.name).join(",")}` : `${a.type} ${a.pod.metadata.name}`,
      );
      expect(got).toEqual(c.want);
    });
  }

  test("owned counts kept and adopted active pods", () => {
    const plan = planReplicaSet({ rs: rs(5), pods: [pod("a"), pod("o", { owner: null }), pod("f", { phase: "Failed" }), pod("x", { owner: "other-uid" })], expectationsSatisfied: true });
    expect(plan.owned.map((p) => p.metadata.name).sort()).toEqual(["a", "o"]);
    expect(plan.diff).toBe(-3);
  });
});

describe("surplus pods go in Kubernetes' order", () => {
  // Each row: the pod that goes first, then the one that stays longer.
  const rows: [string, PodOpts, PodOpts][] = [
    ["unscheduled before scheduled", { node: undefined }, { node: "n1" }],
    ["Pending before Running", { node: "n1", phase: "Pending", ready: false }, { node: "n1", phase: "Running", ready: false }],
    ["Pending before Unknown", { node: "n1", phase: "Pending" }, { node: "n1", phase: "Unknown" }],
    ["Unknown before Running", { node: "n1", phase: "Unknown" }, { node: "n1", phase: "Running" }],
    ["not ready before ready", { node: "n1", ready: false }, { node: "n1", ready: true }],
    ["lower deletion cost first", { node: "n1", cost: -5 }, { node: "n1", cost: 10 }],
    ["more recently ready first", { node: "n1", readySince: -10 }, { node: "n1", readySince: -500 }],
    ["more restarts first", { node: "n1", restarts: 4 }, { node: "n1", restarts: 1 }],
    ["more recently created first", { node: "n1", ready: false, created: -10 }, { node: "n1", ready: false, created: -500 }],
    ["no creation time first", { node: "n1", ready: false }, { node: "n1", ready: false, created: -500 }],
  ];
  for (const [name, first, second] of rows) {
    test(name, () => {
      const a = { pod: pod("a", first), rank: 0 };
      const b = { pod: pod("b", second), rank: 0 };
      expect(compareForDeletion(a, b)).toBeLessThan(0);
      expect(compareForDeletion(b, a)).toBeGreaterThan(0);
      expect(podsToDelete([b.pod, a.pod], [], 1).map((p) => p.metadata.name)).toEqual(["a"]);
    });
  }

  test("a pod on a node crowded with its family goes first", () => {
    const crowded = pod("crowded", { node: "n1" });
    const alone = pod("alone", { node: "n2" });
    const family = [crowded, alone, pod("sibling", { node: "n1", owner: "sibling-rs" })];
    expect(podsToDelete([alone, crowded], family, 1).map((p) => p.metadata.name)).toEqual(["crowded"]);
  });

  test("all of them when asked for as many", () => {
    expect(podsToDelete([pod("a"), pod("b")], [], 5)).toHaveLength(2);
  });
});

test.each([
  [0, []],
  [1, [1]],
  [3, [1, 2]],
  [7, [1, 2, 4]],
  [10, [1, 2, 4, 3]],
])("slowStartBatches(%p) = %p", (count, want) => {
  expect(slowStartBatches(count)).toEqual(want);
});

test("slowStartBatches adds up to the count and doubles", () => {
  const b = slowStartBatches(BURST_REPLICAS);
  expect(b.reduce((x, y) => x + y, 0)).toBe(BURST_REPLICAS);
  expect(b.slice(0, 4)).toEqual([1, 2, 4, 8]);
});

describe("planReplicaSetStatus", () => {
  test("counts replicas, fully labeled, ready and available, and the generation seen", () => {
    const owned = [pod("a"), pod("b", { labels: { app: "web" } }), pod("c", { ready: false })];
    expect(planReplicaSetStatus(rs(3), owned, NOW)).toEqual({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 3 });
  });

  test("available needs minReadySeconds of readiness", () => {
    const owned = [pod("old", { readySince: -60 }), pod("new", { readySince: -5 })];
    expect(planReplicaSetStatus(rs(2, { minReadySeconds: 30 }), owned, NOW)).toMatchObject({ readyReplicas: 2, availableReplicas: 1 });
    expect(nextAvailableIn(rs(2, { minReadySeconds: 30 }), owned, NOW)).toBe(25_000);
    expect(nextAvailableIn(rs(2), owned, NOW)).toBeUndefined();
  });

  test("ReplicaFailure is added on a failure, kept while it lasts and removed after", () => {
    const failed = planReplicaSetStatus(rs(1), [], NOW, { reason: "FailedCreate", message: "quota" });
    expect(failed.conditions).toEqual([{ type: "ReplicaFailure", status: "True", lastTransitionTime: at(0), reason: "FailedCreate", message: "quota" }]);
    const again = planReplicaSetStatus(rs(1, { conditions: failed.conditions }), [], NOW + 5000, { reason: "FailedCreate", message: "quota" });
    expect(again.conditions).toEqual(failed.conditions);
    expect(planReplicaSetStatus(rs(1, { conditions: failed.conditions }), [], NOW).conditions).toBeUndefined();
  });

  test("replicaSetStatusChanged: only a real difference is a write", () => {
    const r = rs(1);
    const s = planReplicaSetStatus(r, [pod("a")], NOW);
    expect(replicaSetStatusChanged(r, s)).toBe(true);
    expect(replicaSetStatusChanged({ ...r, status: s }, s)).toBe(false);
  });
});

describe("Expectations", () => {
  test("creates in flight block until observed; failures lower them", () => {
    const e = new Expectations({ now: () => NOW });
    expect(e.satisfied("rs", () => true)).toBe(true);
    e.expect("rs", 3);
    expect(e.satisfied("rs", () => true)).toBe(false);
    e.creationObserved("rs");
    e.creationObserved("rs", 2);
    expect(e.satisfied("rs", () => true)).toBe(true);
  });

  test("deletes are satisfied by an event or by the pod missing from the cache", () => {
    const e = new Expectations({ now: () => NOW });
    e.expect("rs", 0, ["p1", "p2"]);
    e.deletionObserved("rs", "p1");
    expect(e.satisfied("rs", (uid) => uid === "p2")).toBe(false);
    expect(e.satisfied("rs", () => false)).toBe(true);
  });

  test("expire after the timeout so a lost event cannot wedge a ReplicaSet", () => {
    let now = NOW;
    const e = new Expectations({ now: () => now });
    e.expect("rs", 2);
    now += EXPECTATIONS_TIMEOUT_MS + 1;
    expect(e.satisfied("rs", () => true)).toBe(true);
  });
});
