// The Deployment's status from its ReplicaSets: counts, Available, and (for
// a rollout) the Progressing condition with its deadline. The sync that
// called it requeues itself for the moment the deadline would pass.

import type { ReplicaSet } from "../../resources/apps.ts";
import type { Condition } from "../../resources/meta.ts";
import {
  AVAILABLE,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  newCondition,
  progressDeadlineAt,
  PROGRESSING,
  REASONS,
  removeCondition,
  REPLICA_FAILURE,
  setCondition,
  type DeploymentStatus,
} from "./conditions.ts";
import { maxUnavailable } from "./fenceposts.ts";
import { actualReplicas } from "./replica-sets.ts";
import type { SyncState } from "./sync-state.ts";

/** Slack on the deadline requeue, so the timer lands after the deadline, not on it. */
const DEADLINE_SLACK_MS = 100;

function sum(rsList: readonly ReplicaSet[], f: (rs: ReplicaSet) => number | undefined): number {
  return rsList.reduce((n, rs) => n + (f(rs) ?? 0), 0);
}

/** calculateStatus: counts from the ReplicaSets' statuses, and the Available condition. */
export function calculateStatus(state: SyncState, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): DeploymentStatus {
  const d = state.d;
  const available = sum(allRSs, (rs) => rs.status.availableReplicas);
  const total = sum(allRSs, (rs) => rs.spec.replicas);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: actualReplicas(allRSs),
    updatedReplicas: newRS ? actualReplicas([newRS]) : 0,
    readyReplicas: sum(allRSs, (rs) => rs.status.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(total - available, 0),
  };
  if (d.status.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status.conditions?.length) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (available >= d.spec.replicas - maxUnavailable(d)) {
    setCondition(status, newCondition(AVAILABLE, "True", REASONS.minimumReplicasAvailable, "Deployment has minimum availability.", state.now));
  } else {
    setCondition(status, newCondition(AVAILABLE, "False", REASONS.minimumReplicasUnavailable, "Deployment does not have minimum availability.", state.now));
  }
  return status;
}

/** syncDeploymentStatus: the status without progress estimation (paused, scaling, being deleted). */
export function syncDeploymentStatus(state: SyncState, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): void {
  state.d.status = calculateStatus(state, allRSs, newRS);
}

/** A ReplicaSet's ReplicaFailure as the Deployment's; the new ReplicaSet's wins. */
function replicaFailure(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): Condition | undefined {
  const failureOf = (rs: ReplicaSet | undefined) => rs?.status.conditions?.find((c) => c.type === REPLICA_FAILURE);
  const c = failureOf(newRS) ?? allRSs.map(failureOf).find((x) => x !== undefined);
  if (!c) return undefined;
  return { type: REPLICA_FAILURE, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
}

/** syncRolloutStatus: the status with the Progressing condition of a rollout, and the deadline requeue. */
export function syncRolloutStatus(state: SyncState, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): void {
  const d = state.d;
  const next = calculateStatus(state, allRSs, newRS);
  if (!hasProgressDeadline(d)) removeCondition(next, PROGRESSING);
  const current = getCondition(d.status, PROGRESSING);
  // A finished rollout with nothing left over: no progress to estimate.
  const settled = next.replicas === next.updatedReplicas && current?.reason === REASONS.newReplicaSetAvailable;
  if (hasProgressDeadline(d) && !settled) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, next)) {
      setCondition(next, newCondition(PROGRESSING, "True", REASONS.newReplicaSetAvailable, `${subject} has successfully progressed.`, state.now));
    } else if (deploymentProgressing(d, next)) {
      // Progress moves lastUpdateTime even when the reason stays; lastTransitionTime only moves with the status.
      const cond = newCondition(PROGRESSING, "True", REASONS.replicaSetUpdated, `${subject} is progressing.`, state.now);
      if (current?.status === "True") cond.lastTransitionTime = current.lastTransitionTime;
      removeCondition(next, PROGRESSING);
      setCondition(next, cond);
    } else if (deploymentTimedOut(d, next, state.now)) {
      setCondition(next, newCondition(PROGRESSING, "False", REASONS.progressDeadlineExceeded, `${subject} has timed out progressing.`, state.now));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(next, failure);
  else removeCondition(next, REPLICA_FAILURE);
  state.d.status = next;
  requeueStuck(state, next);
}

/** requeueStuckDeployment: look again when the deadline passes, unless complete or already timed out. */
function requeueStuck(state: SyncState, next: DeploymentStatus): void {
  const cond = getCondition(next, PROGRESSING);
  if (!cond || cond.reason === REASONS.progressDeadlineExceeded || cond.reason === REASONS.newReplicaSetAvailable || deploymentComplete(state.d, next)) return;
  const at = progressDeadlineAt(state.d, cond);
  if (at === undefined) return;
  state.requeueAfter = Math.max(at - state.now, 0) + DEADLINE_SLACK_MS;
}
