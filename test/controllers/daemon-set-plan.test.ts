// Tables for planDaemonSet: one pod per eligible node (new nodes, removed
// and ineligible nodes, taints, failed and duplicate pods), the rolling
// update within maxUnavailable or maxSurge, OnDelete, and the status.

import { describe, expect, test } from "bun:test";
import { REVISION_HASH_LABEL, daemonSetHash } from "../../core/controllers/daemon-set/daemon-pod.ts";
import type { DaemonSetAction } from "../../core/controllers/daemon-set/model.ts";
import { planDaemonSet } from "../../core/controllers/daemon-set/plan.ts";
import { DaemonSet } from "../../core/resources/apps.ts";
import { Node, type Taint } from "../../core/resources/cluster.ts";
import type { KubeObject } from "../../core/resources/object.ts";

const NOW = Date.parse("2024-05-01T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

function daemonSet(spec: { template?: object; updateStrategy?: object; minReadySeconds?: number } = {}): DaemonSet {
  return DaemonSet.parse({
    metadata: { name: "agent", namespace: "default", uid: "ds-uid", generation: 3 },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "a", image: "busybox" }], ...spec.template } },
      ...(spec.updateStrategy ? { updateStrategy: spec.updateStrategy } : {}),
      ...(spec.minReadySeconds !== undefined ? { minReadySeconds: spec.minReadySeconds } : {}),
    },
  });
}

function node(name: string, extra: { labels?: Record<string, string>; taints?: Taint[] } = {}): Node {
  return Node.parse({ metadata: { name, labels: extra.labels }, spec: { taints: extra.taints } });
}

interface PodState {
  /** "new" (the DaemonSet's current hash) or "old". */
  rev?: "new" | "old";
  phase?: string;
  /** Ready since this many seconds before NOW; undefined: not ready. */
  readyFor?: number;
  deleting?: boolean;
  createdAt?: number;
}

/** A pod of `ds` on `nodeName`; running and ready for an hour unless told otherwise. */
function pod(ds: DaemonSet, name: string, nodeName: string, s: PodState = {}): KubeObject {
  const readyFor = "readyFor" in s ? s.readyFor : 3600;
  const phase = s.phase ?? (readyFor !== undefined ? "Running" : "Pending");
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      creationTimestamp: iso(s.createdAt ?? NOW - 7200_000),
      labels: { app: "agent", [REVISION_HASH_LABEL]: s.rev === "old" ? "oldhash" : daemonSetHash(ds) },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: "ds-uid", controller: true }],
      ...(s.deleting ? { deletionTimestamp: iso(NOW - 1000) } : {}),
    },
    spec: { nodeName, containers: [{ name: "a", image: "busybox" }] },
    status: {
      phase,
      conditions: readyFor !== undefined ? [{ type: "Ready", status: "True", lastTransitionTime: iso(NOW - readyFor * 1000) }] : [],
    },
  };
}

function render(actions: readonly DaemonSetAction[]): string[] {
  return actions.map((a) => (a.type === "create" ? `create ${a.nodeName}` : `delete ${a.pod.metadata.name} (${a.reason})`));
}

describe("planDaemonSet: one pod per eligible node", () => {
  const ds = daemonSet();
  const n = (...names: string[]) => names.map((x) => node(x));
  const cases: { name: string; ds?: DaemonSet; nodes: Node[]; pods: (ds: DaemonSet) => KubeObject[]; backoff?: [string, number][]; want: string[] }[] = [
    { name: "every node gets a pod", nodes: n("n1", "n2", "n3"), pods: () => [], want: ["create n1", "create n2", "create n3"] },
    { name: "a new node gets a pod", nodes: n("n1", "n2", "n3"), pods: (d) => [pod(d, "p1", "n1"), pod(d, "p2", "n2")], want: ["create n3"] },
    { name: "converged: nothing to do", nodes: n("n1", "n2"), pods: (d) => [pod(d, "p1", "n1"), pod(d, "p2", "n2")], want: [] },
    { name: "a removed node loses its pod", nodes: n("n1"), pods: (d) => [pod(d, "p1", "n1"), pod(d, "p2", "gone")], want: ["delete p2 (node-gone)"] },
    { name: "a pod being deleted on a removed node is left alone", nodes: n("n1"), pods: (d) => [pod(d, "p1", "n1"), pod(d, "p2", "gone", { deleting: true })], want: [] },
    {
      name: "a node that no longer matches nodeSelector loses its pod",
      ds: daemonSet({ template: { nodeSelector: { role: "edge" } } }),
      nodes: [node("n1", { labels: { role: "edge" } }), node("n2", { labels: { role: "core" } })],
      pods: (d) => [pod(d, "p1", "n1"), pod(d, "p2", "n2")],
      want: ["delete p2 (ineligible)"],
    },
    {
      name: "required node affinity picks nodes",
      ds: daemonSet({
        template: {
          affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "cores", operator: "Gt", values: ["2"] }] }] } },
          },
        },
      }),
      nodes: [node("n1", { labels: { cores: "4" } }), node("n2", { labels: { cores: "2" } }), node("n3")],
      pods: () => [],
      want: ["create n1"],
    },
    {
      name: "an untolerated NoSchedule taint gets no new pod",
      nodes: [node("n1"), node("n2", { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] })],
      pods: () => [],
      want: ["create n1"],
    },
    {
      name: "an untolerated NoSchedule taint keeps the pod already there",
      nodes: [node("n1", { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] })],
      pods: (d) => [pod(d, "p1", "n1")],
      want: [],
    },
    {
      name: "an untolerated NoExecute taint evicts the pod",
      nodes: [node("n1", { taints: [{ key: "dedicated", value: "db", effect: "NoExecute" }] })],
      pods: (d) => [pod(d, "p1", "n1")],
      want: ["delete p1 (ineligible)"],
    },
    {
      name: "a tolerated taint gets a pod",
      ds: daemonSet({ template: { tolerations: [{ key: "dedicated", operator: "Exists" }] } }),
      nodes: [node("n1", { taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] })],
      pods: () => [],
      want: ["create n1"],
    },
    {
      name: "a cordoned node still gets a pod",
      nodes: [node("n1", { taints: [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }] })],
      pods: () => [],
      want: ["create n1"],
    },
    { name: "a failed pod is deleted (its replacement comes next pass)", nodes: n("n1"), pods: (d) => [pod(d, "p1", "n1", { phase: "Failed", readyFor: undefined })], want: ["delete p1 (failed)"] },
    {
      name: "a failed pod in back-off is left alone",
      nodes: n("n1"),
      pods: (d) => [pod(d, "p1", "n1", { phase: "Failed", readyFor: undefined })],
      backoff: [["n1", NOW + 2000]],
      want: [],
    },
    {
      name: "a back-off that ended no longer holds",
      nodes: n("n1"),
      pods: (d) => [pod(d, "p1", "n1", { phase: "Failed", readyFor: undefined })],
      backoff: [["n1", NOW - 1]],
      want: ["delete p1 (failed)"],
    },
    { name: "a succeeded pod is deleted", nodes: n("n1"), pods: (d) => [pod(d, "p1", "n1", { phase: "Succeeded", readyFor: undefined })], want: ["delete p1 (succeeded)"] },
    { name: "a pod still being deleted holds back its replacement", nodes: n("n1"), pods: (d) => [pod(d, "p1", "n1", { deleting: true })], want: [] },
    {
      name: "duplicates: the oldest stays",
      nodes: n("n1"),
      pods: (d) => [pod(d, "young", "n1", { createdAt: NOW - 10_000 }), pod(d, "old", "n1", { createdAt: NOW - 20_000 })],
      want: ["delete young (duplicate)"],
    },
  ];
  test.each(cases)("$name", (c) => {
    const d = c.ds ?? ds;
    const plan = planDaemonSet({ ds: d, nodes: c.nodes, pods: c.pods(d), now: NOW, failedBackoff: new Map(c.backoff ?? []) });
    expect(render(plan.actions)).toEqual(c.want);
  });

  test("a failed pod in back-off asks to be looked at when it ends", () => {
    const plan = planDaemonSet({ ds, nodes: n("n1"), pods: [pod(ds, "p1", "n1", { phase: "Failed", readyFor: undefined })], now: NOW, failedBackoff: new Map([["n1", NOW + 2000]]) });
    expect(plan.requeueAfter).toBe(2000);
  });

  test("created pods are bound to their node with the revision label and daemon tolerations", () => {
    const plan = planDaemonSet({ ds, nodes: n("n1"), pods: [], now: NOW });
    const created = plan.actions[0];
    if (created?.type !== "create") throw new Error("expected a create");
    const spec = created.pod.spec as { nodeName?: string; tolerations?: { key?: string }[] };
    expect(spec.nodeName).toBe("n1");
    expect(created.pod.metadata.generateName).toBe("agent-");
    expect(created.pod.metadata.labels).toEqual({ app: "agent", [REVISION_HASH_LABEL]: daemonSetHash(ds) });
    expect(created.pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: "DaemonSet", uid: "ds-uid", controller: true });
    expect(spec.tolerations?.map((t) => t.key)).toContain("node.kubernetes.io/unschedulable");
  });

  test("a DaemonSet being deleted plans nothing", () => {
    const deleting = { ...ds, metadata: { ...ds.metadata, deletionTimestamp: iso(NOW) } };
    expect(planDaemonSet({ ds: deleting, nodes: n("n1"), pods: [], now: NOW }).actions).toEqual([]);
  });
});

describe("planDaemonSet: rolling update", () => {
  const four = ["n1", "n2", "n3", "n4"].map((x) => node(x));
  const rolling = (ru: object) => daemonSet({ updateStrategy: { type: "RollingUpdate", rollingUpdate: ru } });
  const allOld = (d: DaemonSet) => four.map((x, i) => pod(d, `p${i + 1}`, x.metadata.name!, { rev: "old" }));
  const cases: { name: string; ds: DaemonSet; nodes?: Node[]; pods: (ds: DaemonSet) => KubeObject[]; want: string[] }[] = [
    { name: "maxUnavailable 1: one old pod at a time", ds: rolling({ maxUnavailable: 1 }), pods: allOld, want: ["delete p1 (rollout)"] },
    { name: "maxUnavailable 2", ds: rolling({ maxUnavailable: 2 }), pods: allOld, want: ["delete p1 (rollout)", "delete p2 (rollout)"] },
    { name: "maxUnavailable 50% of 4", ds: rolling({ maxUnavailable: "50%" }), pods: allOld, want: ["delete p1 (rollout)", "delete p2 (rollout)"] },
    { name: "maxUnavailable 30% of 4 rounds up to 2", ds: rolling({ maxUnavailable: "30%" }), pods: allOld, want: ["delete p1 (rollout)", "delete p2 (rollout)"] },
    { name: "maxUnavailable 0% with no surge falls back to 1", ds: rolling({ maxUnavailable: "0%", maxSurge: 0 }), pods: allOld, want: ["delete p1 (rollout)"] },
    {
      name: "a new pod not yet ready uses the budget",
      ds: rolling({ maxUnavailable: 1 }),
      pods: (d) => [pod(d, "p1", "n1", { readyFor: undefined }), ...allOld(d).slice(1)],
      want: [],
    },
    {
      name: "a new pod ready but not minReadySeconds long uses the budget",
      ds: daemonSet({ updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } }, minReadySeconds: 30 }),
      pods: (d) => [pod(d, "p1", "n1", { readyFor: 10 }), ...allOld(d).slice(1)],
      want: [],
    },
    {
      name: "once the new pod is available the next old pod goes",
      ds: rolling({ maxUnavailable: 1 }),
      pods: (d) => [pod(d, "p1", "n1"), ...allOld(d).slice(1)],
      want: ["delete p2 (rollout)"],
    },
    {
      name: "an unavailable old pod is replaced whatever the budget",
      ds: rolling({ maxUnavailable: 1 }),
      pods: (d) => [pod(d, "p1", "n1", { readyFor: undefined }), pod(d, "p2", "n2", { rev: "old", readyFor: undefined }), ...allOld(d).slice(2)],
      want: ["delete p2 (rollout)"],
    },
    {
      name: "the per-node plan goes first: no rollout while a node lacks its pod",
      ds: rolling({ maxUnavailable: 1 }),
      pods: (d) => allOld(d).slice(1),
      want: ["create n1"],
    },
    { name: "all updated: nothing to do", ds: rolling({ maxUnavailable: 1 }), pods: (d) => four.map((x, i) => pod(d, `p${i + 1}`, x.metadata.name!)), want: [] },
    { name: "OnDelete: old pods stay", ds: daemonSet({ updateStrategy: { type: "OnDelete" } }), pods: allOld, want: [] },
    { name: "maxSurge 1: a new pod starts beside an old one", ds: rolling({ maxUnavailable: 0, maxSurge: 1 }), pods: allOld, want: ["create n1"] },
    { name: "maxSurge 2", ds: rolling({ maxUnavailable: 0, maxSurge: 2 }), pods: allOld, want: ["create n1", "create n2"] },
    {
      name: "maxSurge: waiting for the new pod to get ready",
      ds: rolling({ maxUnavailable: 0, maxSurge: 1 }),
      pods: (d) => [...allOld(d), pod(d, "p1new", "n1", { readyFor: undefined, createdAt: NOW - 1000 })],
      want: [],
    },
    {
      name: "maxSurge: the new pod is ready, the old one goes",
      ds: rolling({ maxUnavailable: 0, maxSurge: 1 }),
      pods: (d) => [...allOld(d), pod(d, "p1new", "n1", { createdAt: NOW - 1000 })],
      want: ["delete p1 (rollout)"],
    },
    {
      name: "maxSurge: an unavailable old pod gets its replacement at once",
      ds: rolling({ maxUnavailable: 0, maxSurge: 1 }),
      pods: (d) => [pod(d, "p1", "n1", { rev: "old", readyFor: undefined }), ...allOld(d).slice(1)],
      want: ["create n1", "create n2"],
    },
  ];
  test.each(cases)("$name", (c) => {
    const plan = planDaemonSet({ ds: c.ds, nodes: c.nodes ?? four, pods: c.pods(c.ds), now: NOW });
    expect(render(plan.actions)).toEqual(c.want);
  });

  test("a pod ready but not minReadySeconds long asks to be looked at later", () => {
    const ds = daemonSet({ minReadySeconds: 30 });
    const plan = planDaemonSet({ ds, nodes: [node("n1")], pods: [pod(ds, "p1", "n1", { readyFor: 10 })], now: NOW });
    expect(plan.requeueAfter).toBe(20_000);
  });
});

describe("planDaemonSet: status", () => {
  test("counts nodes and pods as Kubernetes does", () => {
    const ds = daemonSet({ minReadySeconds: 30 });
    const nodes = [
      node("ready-new"),
      node("ready-old"),
      node("young"),
      node("pending"),
      node("empty"),
      node("tainted", { taints: [{ key: "dedicated", effect: "NoSchedule" }] }),
    ];
    const pods = [
      pod(ds, "a", "ready-new"),
      pod(ds, "b", "ready-old", { rev: "old" }),
      pod(ds, "c", "young", { readyFor: 5 }),
      pod(ds, "d", "pending", { readyFor: undefined }),
      pod(ds, "e", "tainted"),
      pod(ds, "f", "gone"),
    ];
    expect(planDaemonSet({ ds, nodes, pods, now: NOW }).status).toEqual({
      desiredNumberScheduled: 5,
      currentNumberScheduled: 4,
      numberMisscheduled: 1,
      numberReady: 3,
      numberAvailable: 2,
      numberUnavailable: 3,
      updatedNumberScheduled: 3,
      observedGeneration: 3,
    });
  });
});
