// The Deployment's conditions and the progress tests behind them, as
// Kubernetes' deployment util has them: Available, Progressing (with
// lastUpdateTime moving on every sign of progress, which the progress
// deadline is measured from) and ReplicaFailure copied from a ReplicaSet.

import { rfc3339 } from "../../clock.ts";
import type { Deployment } from "../../resources/apps.ts";
import type { Condition } from "../../resources/meta.ts";

export type DeploymentStatus = Deployment["status"];

export const AVAILABLE = "Available";
export const PROGRESSING = "Progressing";
export const REPLICA_FAILURE = "ReplicaFailure";

export const REASONS = {
  minimumReplicasAvailable: "MinimumReplicasAvailable",
  minimumReplicasUnavailable: "MinimumReplicasUnavailable",
  newReplicaSetCreated: "NewReplicaSetCreated",
  foundNewReplicaSet: "FoundNewReplicaSet",
  replicaSetUpdated: "ReplicaSetUpdated",
  newReplicaSetAvailable: "NewReplicaSetAvailable",
  progressDeadlineExceeded: "ProgressDeadlineExceeded",
  paused: "DeploymentPaused",
  resumed: "DeploymentResumed",
  failedCreate: "ReplicaSetCreateError",
} as const;

/** progressDeadlineSeconds of MaxInt32 means "no deadline". */
const NO_DEADLINE = 2147483647;

export function newCondition(type: string, status: "True" | "False" | "Unknown", reason: string, message: string, nowMs: number): Condition {
  const t = rfc3339(nowMs);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getCondition(status: DeploymentStatus, type: string): Condition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

/** SetDeploymentCondition: same status and reason is no change; same status keeps lastTransitionTime; the condition moves last. */
export function setCondition(status: DeploymentStatus, cond: Condition): void {
  const cur = getCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const next = cur && cur.status === cond.status ? { ...cond, lastTransitionTime: cur.lastTransitionTime } : cond;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (!status.conditions.length) delete status.conditions;
}

export function hasProgressDeadline(d: Deployment): boolean {
  return d.spec.progressDeadlineSeconds !== NO_DEADLINE;
}

/** Every pod updated, available, and nothing else left. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = d.spec.replicas;
  return s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** Any progress since the last status: more updated, fewer old, more ready or more available pods. */
export function deploymentProgressing(d: Deployment, next: DeploymentStatus): boolean {
  const old = d.status;
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** When the Progressing condition's deadline passes, in ms since the epoch; undefined without one. */
export function progressDeadlineAt(d: Deployment, cond: Condition | undefined): number | undefined {
  if (!hasProgressDeadline(d) || !cond?.lastUpdateTime) return undefined;
  const from = Date.parse(cond.lastUpdateTime);
  return Number.isFinite(from) ? from + d.spec.progressDeadlineSeconds * 1000 : undefined;
}

/** No progress for progressDeadlineSeconds since the Progressing condition last moved. */
export function deploymentTimedOut(d: Deployment, next: DeploymentStatus, nowMs: number): boolean {
  const cond = getCondition(next, PROGRESSING);
  if (!hasProgressDeadline(d) || !cond || cond.reason === REASONS.newReplicaSetAvailable) return false;
  if (cond.reason === REASONS.progressDeadlineExceeded) return true;
  const at = progressDeadlineAt(d, cond);
  return at !== undefined && at < nowMs;
}
