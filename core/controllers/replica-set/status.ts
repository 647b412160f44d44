// A ReplicaSet's status from the pods it owns: replicas, fullyLabeledReplicas,
// readyReplicas, availableReplicas (Ready for minReadySeconds), the
// ReplicaFailure condition after a failed create or delete, and when the next
// pod turns available (so the controller looks again then).

import { rfc3339 } from "../../clock.ts";
import type { ReplicaSet } from "../../resources/apps.ts";
import type { Condition } from "../../resources/meta.ts";
import type { KubeObject } from "../../resources/object.ts";
import { deepEqual } from "../../deep-equal.ts";
import { isPodAvailable, isPodReady } from "../pods.ts";

export type ReplicaSetStatus = ReplicaSet["status"];

export const REPLICA_FAILURE = "ReplicaFailure";

export interface ManageFailure {
  reason: "FailedCreate" | "FailedDelete";
  message: string;
}

function hasAllLabels(labels: Record<string, string> | undefined, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => labels?.[k] === v);
}

/**
 * The status to write. `owned` are the active pods the ReplicaSet controls
 * (as planned, before this reconcile's creates and deletes, like Kubernetes).
 */
export function planReplicaSetStatus(rs: ReplicaSet, owned: readonly KubeObject[], nowMs: number, failure?: ManageFailure): ReplicaSetStatus {
  const templateLabels = rs.spec.template.metadata.labels ?? {};
  const minReady = rs.spec.minReadySeconds ?? 0;
  const status: ReplicaSetStatus = {
    replicas: owned.length,
    fullyLabeledReplicas: owned.filter((p) => hasAllLabels(p.metadata.labels, templateLabels)).length,
    readyReplicas: owned.filter(isPodReady).length,
    availableReplicas: owned.filter((p) => isPodAvailable(p, minReady, nowMs)).length,
    observedGeneration: rs.metadata.generation ?? 0,
  };
  const current = rs.status.conditions ?? [];
  const existing = current.find((c) => c.type === REPLICA_FAILURE);
  let conditions: Condition[] = current;
  if (failure && !existing) {
    conditions = [...current, { type: REPLICA_FAILURE, status: "True", lastTransitionTime: rfc3339(nowMs), reason: failure.reason, message: failure.message }];
  } else if (!failure && existing) {
    conditions = current.filter((c) => c.type !== REPLICA_FAILURE);
  }
  if (conditions.length) status.conditions = conditions;
  return status;
}

/** Whether `next` differs from what is stored (then, and only then, the controller writes). */
export function replicaSetStatusChanged(rs: ReplicaSet, next: ReplicaSetStatus): boolean {
  const cur = rs.status;
  return (
    (cur.replicas ?? 0) !== next.replicas ||
    (cur.fullyLabeledReplicas ?? 0) !== next.fullyLabeledReplicas ||
    (cur.readyReplicas ?? 0) !== next.readyReplicas ||
    (cur.availableReplicas ?? 0) !== next.availableReplicas ||
    cur.observedGeneration !== next.observedGeneration ||
    !deepEqual(cur.conditions ?? [], next.conditions ?? [])
  );
}

/** Milliseconds until the next ready pod has been ready for minReadySeconds; undefined when none is waiting. */
export function nextAvailableIn(rs: ReplicaSet, owned: readonly KubeObject[], nowMs: number): number | undefined {
  const minReady = rs.spec.minReadySeconds ?? 0;
  if (minReady <= 0) return undefined;
  let soonest: number | undefined;
  for (const pod of owned) {
    if (!isPodReady(pod) || isPodAvailable(pod, minReady, nowMs)) continue;
    const cond = ((pod.status ?? {}) as { conditions?: Condition[] }).conditions?.find((c) => c.type === "Ready");
    const since = cond?.lastTransitionTime ? Date.parse(cond.lastTransitionTime) : NaN;
    const wait = Number.isFinite(since) ? since + minReady * 1000 - nowMs : minReady * 1000;
    soonest = Math.min(soonest ?? Infinity, Math.max(wait, 0));
  }
  return soonest;
}
