// Tables for planStatefulSet: ordered creation waiting on readiness,
// Parallel, scale-down from the highest ordinal, failed pods, rolling updates
// from the highest ordinal down to the partition, OnDelete, and the status.

import { describe, expect, test } from "bun:test";
import { POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_HASH_LABEL, statefulSetHash } from "../../core/controllers/stateful-set/identity.ts";
import { planStatefulSet, type StatefulSetAction } from "../../core/controllers/stateful-set/plan.ts";
import { StatefulSet } from "../../core/resources/apps.ts";
import type { KubeObject } from "../../core/resources/object.ts";

const NOW = Date.parse("2024-05-01T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

interface SetSpec {
  replicas?: number;
  podManagementPolicy?: "OrderedReady" | "Parallel";
  updateStrategy?: object;
  minReadySeconds?: number;
  ordinals?: { start: number };
  currentRevision?: string;
}

function statefulSet(s: SetSpec = {}): StatefulSet {
  const { currentRevision, ...spec } = s;
  return StatefulSet.parse({
    metadata: { name: "web", namespace: "default", uid: "sts-uid", generation: 2 },
    spec: {
      replicas: 3,
      serviceName: "web",
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "a", image: "busybox" }] } },
      ...spec,
    },
    status: currentRevision ? { currentRevision } : {},
  });
}

/** R: Running and Ready; P: Pending; U: Running, not ready; F: Failed; S: Succeeded; T: ready but terminating. Lower case: old revision. */
type State = "R" | "P" | "U" | "F" | "S" | "T" | "r" | "p" | "u" | "t";

function pod(sts: StatefulSet, ordinal: number, state: State, readyFor = 3600): KubeObject {
  const old = state === state.toLowerCase();
  const s = state.toUpperCase();
  const phase = { R: "Running", T: "Running", U: "Running", P: "Pending", F: "Failed", S: "Succeeded" }[s];
  const ready = s === "R" || s === "T";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `web-${ordinal}`,
      namespace: "default",
      uid: `uid-${ordinal}`,
      labels: { app: "web", [REVISION_HASH_LABEL]: old ? "oldrev" : statefulSetHash(sts) },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "StatefulSet", name: "web", uid: "sts-uid", controller: true }],
      ...(s === "T" ? { deletionTimestamp: iso(NOW - 1000) } : {}),
    },
    spec: { containers: [{ name: "a", image: "busybox" }] },
    status: { phase, conditions: ready ? [{ type: "Ready", status: "True", lastTransitionTime: iso(NOW - readyFor * 1000) }] : [] },
  };
}

/** "RRu" → web-0 R, web-1 R, web-2 u; "-" skips an ordinal. */
function pods(sts: StatefulSet, states: string): KubeObject[] {
  return [...states].flatMap((c, i) => (c === "-" ? [] : [pod(sts, i, c as State)]));
}

function render(actions: readonly StatefulSetAction[]): string[] {
  return actions.map((a) => (a.type === "create" ? `create web-${a.ordinal}` : `delete ${a.pod.metadata.name} (${a.reason})`));
}

const cases: { name: string; set: SetSpec; pods: string; want: string[] }[] = [
  // OrderedReady creation
  { name: "ordered: only web-0 first", set: {}, pods: "", want: ["create web-0"] },
  { name: "ordered: web-0 pending holds web-1", set: {}, pods: "P", want: [] },
  { name: "ordered: web-0 running but not ready holds web-1", set: {}, pods: "U", want: [] },
  { name: "ordered: web-0 ready, web-1 next", set: {}, pods: "R", want: ["create web-1"] },
  { name: "ordered: web-2 last", set: {}, pods: "RR", want: ["create web-2"] },
  { name: "ordered: a gap is filled first", set: {}, pods: "R-R", want: ["create web-1"] },
  { name: "ordered: converged", set: {}, pods: "RRR", want: [] },
  { name: "ordered: ordinals.start shifts the names", set: { ordinals: { start: 1 }, replicas: 2 }, pods: "", want: ["create web-1"] },
  // Parallel creation
  { name: "parallel: all at once", set: { podManagementPolicy: "Parallel" }, pods: "", want: ["create web-0", "create web-1", "create web-2"] },
  { name: "parallel: does not wait for readiness", set: { podManagementPolicy: "Parallel" }, pods: "P", want: ["create web-1", "create web-2"] },
  // Scale down
  { name: "scale-down: highest ordinal first", set: { replicas: 1 }, pods: "RRR", want: ["delete web-2 (scale-down)"] },
  { name: "scale-down: waits for the deletion to finish", set: { replicas: 1 }, pods: "RRT", want: [] },
  { name: "scale-down: then the next", set: { replicas: 1 }, pods: "RR", want: ["delete web-1 (scale-down)"] },
  { name: "scale-down: waits while a kept replica is not ready", set: { replicas: 1 }, pods: "URR", want: [] },
  { name: "scale-down: an unhealthy condemned pod may go first when it is the first unhealthy", set: { replicas: 1 }, pods: "RRU", want: ["delete web-2 (scale-down)"] },
  { name: "scale-down: a ready pod goes even above an unhealthy one", set: { replicas: 1 }, pods: "RUR", want: ["delete web-2 (scale-down)"] },
  { name: "scale-down: an unhealthy pod that is not the first unhealthy waits", set: { replicas: 1 }, pods: "RUU", want: [] },
  { name: "scale-down to zero", set: { replicas: 0 }, pods: "RR", want: ["delete web-1 (scale-down)"] },
  { name: "parallel scale-down: all at once, highest first", set: { replicas: 1, podManagementPolicy: "Parallel" }, pods: "RRR", want: ["delete web-2 (scale-down)", "delete web-1 (scale-down)"] },
  // Failed pods
  { name: "a failed pod is recreated under the same name", set: {}, pods: "RFR", want: ["delete web-1 (failed)", "create web-1"] },
  { name: "a succeeded pod is recreated too", set: {}, pods: "S", want: ["delete web-0 (succeeded)", "create web-0"] },
  { name: "ordered: a failed pod is recreated before anything above it", set: {}, pods: "F", want: ["delete web-0 (failed)", "create web-0"] },
  // Rolling update
  { name: "update: highest ordinal first", set: {}, pods: "rrr", want: ["delete web-2 (update)"] },
  { name: "update: the deleted pod comes back at the new revision", set: {}, pods: "rr-", want: ["create web-2"] },
  { name: "update: waits for the new pod to be ready", set: {}, pods: "rrU", want: [] },
  { name: "update: then the next one down", set: {}, pods: "rrR", want: ["delete web-1 (update)"] },
  { name: "update: done", set: {}, pods: "RRR", want: [] },
  { name: "update: partition 2 keeps web-0 and web-1", set: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } }, pods: "rrR", want: [] },
  { name: "update: partition 1 updates web-1", set: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } } }, pods: "rrR", want: ["delete web-1 (update)"] },
  { name: "update: partition 1 stops above web-0", set: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 1 } } }, pods: "rRR", want: [] },
  { name: "update: partition beyond replicas updates nothing", set: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 5 } } }, pods: "rrr", want: [] },
  { name: "update: OnDelete leaves old pods", set: { updateStrategy: { type: "OnDelete" } }, pods: "rrr", want: [] },
  { name: "update: OnDelete recreates a deleted pod at the new revision", set: { updateStrategy: { type: "OnDelete" } }, pods: "r-r", want: ["create web-1"] },
  { name: "update: scaling comes before updating", set: { replicas: 2 }, pods: "rrr", want: ["delete web-2 (scale-down)"] },
  { name: "parallel update: still one pod at a time", set: { podManagementPolicy: "Parallel" }, pods: "rrr", want: ["delete web-2 (update)"] },
  { name: "parallel update: does not wait for lower ordinals", set: { podManagementPolicy: "Parallel" }, pods: "rur", want: ["delete web-2 (update)"] },
  { name: "parallel update: waits for the replacement above", set: { podManagementPolicy: "Parallel" }, pods: "rrU", want: [] },
];

describe("planStatefulSet", () => {
  test.each(cases)("$name", (c) => {
    const sts = statefulSet(c.set);
    expect(render(planStatefulSet({ sts, pods: pods(sts, c.pods), now: NOW }).actions)).toEqual(c.want);
  });

  test("minReadySeconds: the next ordinal waits until the previous one is available, and asks to be looked at then", () => {
    const sts = statefulSet({ minReadySeconds: 30 });
    const young = planStatefulSet({ sts, pods: [pod(sts, 0, "R", 10)], now: NOW });
    expect(render(young.actions)).toEqual([]);
    expect(young.requeueAfter).toBe(20_000);
    expect(render(planStatefulSet({ sts, pods: [pod(sts, 0, "R", 30)], now: NOW }).actions)).toEqual(["create web-1"]);
  });

  test("pods that are not members (other names) are ignored", () => {
    const sts = statefulSet({ replicas: 1 });
    const stranger = { ...pod(sts, 0, "R"), metadata: { ...pod(sts, 0, "R").metadata, name: "web-01" } };
    expect(render(planStatefulSet({ sts, pods: [stranger], now: NOW }).actions)).toEqual(["create web-0"]);
  });

  test("a StatefulSet being deleted plans nothing", () => {
    const sts = statefulSet();
    const deleting = { ...sts, metadata: { ...sts.metadata, deletionTimestamp: iso(NOW) } };
    expect(planStatefulSet({ sts: deleting, pods: [], now: NOW }).actions).toEqual([]);
  });

  test("a new pod has its stable identity", () => {
    const sts = statefulSet();
    const created = planStatefulSet({ sts, pods: [], now: NOW }).actions[0];
    if (created?.type !== "create") throw new Error("expected a create");
    expect(created.pod.metadata.name).toBe("web-0");
    expect(created.pod.metadata.labels).toEqual({ app: "web", [POD_NAME_LABEL]: "web-0", [POD_INDEX_LABEL]: "0", [REVISION_HASH_LABEL]: statefulSetHash(sts) });
    expect(created.pod.spec).toMatchObject({ hostname: "web-0", subdomain: "web" });
    expect((created.pod.spec as { nodeName?: string }).nodeName).toBeUndefined();
    expect(created.pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: "StatefulSet", uid: "sts-uid", controller: true });
  });
});

describe("planStatefulSet: status", () => {
  const statusOf = (set: SetSpec, states: string) => {
    const sts = statefulSet(set);
    return { status: planStatefulSet({ sts, pods: pods(sts, states), now: NOW }).status, hash: statefulSetHash(sts) };
  };

  test("mid-rollout: current and update revisions differ", () => {
    const { status, hash } = statusOf({ currentRevision: "oldrev" }, "rrU");
    expect(status).toEqual({
      observedGeneration: 2,
      replicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      currentReplicas: 2,
      updatedReplicas: 1,
      currentRevision: "oldrev",
      updateRevision: hash,
    });
  });

  test("every pod updated and ready: the rollout is complete", () => {
    const { status, hash } = statusOf({ currentRevision: "oldrev" }, "RRR");
    expect(status).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: hash, updateRevision: hash });
  });

  test("with a partition the current revision stays", () => {
    const { status } = statusOf({ currentRevision: "oldrev", updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } }, "rrR");
    expect(status).toMatchObject({ currentRevision: "oldrev", currentReplicas: 2, updatedReplicas: 1 });
  });

  test("a new set starts at its update revision; terminating pods count as replicas but not as revisions", () => {
    const { status, hash } = statusOf({}, "RT");
    expect(status).toMatchObject({ replicas: 2, readyReplicas: 2, currentReplicas: 1, updatedReplicas: 1, currentRevision: hash });
  });
});
