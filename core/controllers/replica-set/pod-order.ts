// Which pods a ReplicaSet deletes first when it has too many: Kubernetes'
// ActivePodsWithRanks order, so the least useful pods go first.
//   1. unscheduled before scheduled
//   2. Pending < Unknown < Running
//   3. not ready before ready
//   4. lower controller.kubernetes.io/pod-deletion-cost first
//   5. more pods of the same family on the same node first ("doubled up")
//   6. both ready: more recently ready first
//   7. more container restarts first
//   8. more recently created first
// Kubernetes compares the times of 6 and 8 in logarithmic buckets with a
// random tie-break (LogarithmicScaleDown); tug compares them exactly and
// breaks ties by name, so the choice is deterministic.

import type { KubeObject } from "../../resources/object.ts";
import { isPodActive, isPodReady, podNodeName, podPhase } from "../pods.ts";

export const POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

interface PodStatusShape {
  conditions?: { type: string; status: string; lastTransitionTime?: string }[];
  containerStatuses?: { restartCount?: number }[];
  initContainerStatuses?: { restartCount?: number }[];
}

function statusOf(pod: KubeObject): PodStatusShape {
  return (pod.status ?? {}) as PodStatusShape;
}

function deletionCost(pod: KubeObject): number {
  const v = pod.metadata.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^-?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

/** Time of the Ready condition's last transition; NaN when unknown (sorts as "empty"). */
function readySince(pod: KubeObject): number {
  const c = statusOf(pod).conditions?.find((x) => x.type === "Ready");
  return c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
}

function createdAt(pod: KubeObject): number {
  return pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : NaN;
}

function maxRestarts(list: { restartCount?: number }[] | undefined): number {
  return Math.max(0, ...(list ?? []).map((s) => s.restartCount ?? 0));
}

/** afterOrZero: an empty time first, then the later time first. Returns <0 when a goes first. */
function laterFirst(a: number, b: number): number {
  const az = Number.isNaN(a);
  const bz = Number.isNaN(b);
  if (az || bz) return az === bz ? 0 : az ? -1 : 1;
  return b - a;
}

export interface RankedPod {
  pod: KubeObject;
  /** Active pods of the same family on this pod's node. */
  rank: number;
}

/** Negative when `a` should be deleted before `b`. */
export function compareForDeletion(a: RankedPod, b: RankedPod): number {
  const pa = a.pod;
  const pb = b.pod;
  const na = podNodeName(pa);
  const nb = podNodeName(pb);
  if (na !== nb && (!na || !nb)) return !na ? -1 : 1;
  const phase = (PHASE_ORDINAL[podPhase(pa)] ?? 0) - (PHASE_ORDINAL[podPhase(pb)] ?? 0);
  if (phase) return phase;
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return ra ? 1 : -1;
  const cost = deletionCost(pa) - deletionCost(pb);
  if (cost) return cost;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (ra && rb) {
    const t = laterFirst(readySince(pa), readySince(pb));
    if (t) return t;
  }
  const sa = statusOf(pa);
  const sb = statusOf(pb);
  const restarts = maxRestarts(sb.containerStatuses) - maxRestarts(sa.containerStatuses);
  if (restarts) return restarts;
  const sidecarRestarts = maxRestarts(sb.initContainerStatuses) - maxRestarts(sa.initContainerStatuses);
  if (sidecarRestarts) return sidecarRestarts;
  const created = laterFirst(createdAt(pa), createdAt(pb));
  if (created) return created;
  return (pa.metadata.name ?? "").localeCompare(pb.metadata.name ?? "");
}

/**
 * The `count` pods of `pods` to delete first. `related` are the pods of the
 * whole family (every ReplicaSet with the same controller), counted per node
 * so a node that runs several of them loses one first.
 */
export function podsToDelete(pods: readonly KubeObject[], related: readonly KubeObject[], count: number): KubeObject[] {
  if (count >= pods.length) return [...pods];
  const perNode = new Map<string, number>();
  for (const p of related) {
    if (isPodActive(p)) perNode.set(podNodeName(p), (perNode.get(podNodeName(p)) ?? 0) + 1);
  }
  return pods
    .map((pod) => ({ pod, rank: perNode.get(podNodeName(pod)) ?? 0 }))
    .sort(compareForDeletion)
    .slice(0, count)
    .map((r) => r.pod);
}
