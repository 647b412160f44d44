// Revision bookkeeping in annotations, as Kubernetes keeps it: the revision
// of each ReplicaSet and of the Deployment (a rollback to an old ReplicaSet
// gives it max+1 and remembers its old numbers in revision-history), the
// desired/max replica counts proportional scaling reads back, and which old
// ReplicaSets revisionHistoryLimit lets go.

import type { Deployment, ReplicaSet } from "../../resources/apps.ts";
import type { KubeObject } from "../../resources/object.ts";
import { byCreation } from "./replica-sets.ts";

export const REVISION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const ROLLBACK_TO = "deprecated.deployment.rollback.to";
/** Kubernetes caps revision-history at this many characters. */
const MAX_REVISION_HISTORY_CHARS = 2000;

const NOT_COPIED = new Set([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO]);

function parseCount(v: string | undefined): number | undefined {
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/** The revision annotation as a number; 0 when missing or not a number. */
export function revisionOf(obj: KubeObject): number {
  return parseCount(obj.metadata.annotations?.[REVISION]) ?? 0;
}

export function maxRevision(rsList: readonly ReplicaSet[]): number {
  return rsList.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

export function desiredReplicasOf(rs: ReplicaSet): number | undefined {
  return parseCount(rs.metadata.annotations?.[DESIRED_REPLICAS]);
}

export function maxReplicasOf(rs: ReplicaSet): number | undefined {
  return parseCount(rs.metadata.annotations?.[MAX_REPLICAS]);
}

function annotations(obj: KubeObject): Record<string, string> {
  return (obj.metadata.annotations ??= {});
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  return rs.metadata.annotations?.[DESIRED_REPLICAS] !== String(desired) || rs.metadata.annotations?.[MAX_REPLICAS] !== String(max);
}

/** Sets desired-replicas and max-replicas; true when something changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  const a = annotations(rs);
  a[DESIRED_REPLICAS] = String(desired);
  a[MAX_REPLICAS] = String(max);
  return true;
}

/** Sets the Deployment's revision annotation; true when it changed. */
export function setDeploymentRevision(d: Deployment, revision: string | undefined): boolean {
  if (revision === undefined || d.metadata.annotations?.[REVISION] === revision) return false;
  annotations(d)[REVISION] = revision;
  return true;
}

/**
 * SetNewReplicaSetAnnotations: copies the Deployment's own annotations,
 * raises the revision to `newRevision` when it is lower (recording the old
 * number in revision-history: a rollback), and for a ReplicaSet about to be
 * created sets the replica annotations. Mutates `rs`; true when it changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, opts: { exists: boolean; maxSurge: number }): boolean {
  const a = annotations(rs);
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const oldText = a[REVISION];
  const oldRevision = oldText === undefined || oldText === "" ? 0 : parseCount(oldText);
  // A revision that is not a number is left alone, as Kubernetes does.
  if (oldRevision === undefined) return changed;
  if (oldRevision < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    if (oldText !== undefined) {
      const history = a[REVISION_HISTORY] ? a[REVISION_HISTORY].split(",") : [];
      history.push(oldText);
      while (history.join(",").length > MAX_REVISION_HISTORY_CHARS && history.length > 1) history.shift();
      a[REVISION_HISTORY] = history.join(",");
    }
  }
  if (!opts.exists && setReplicasAnnotations(rs, d.spec.replicas, d.spec.replicas + opts.maxSurge)) changed = true;
  return changed;
}

/**
 * cleanupDeployment: beyond revisionHistoryLimit, the old ReplicaSets to
 * delete, lowest revision first, skipping any that still has or wants pods
 * or whose controller has not caught up with its spec.
 */
export function replicaSetsToClean(d: Deployment, oldRSs: readonly ReplicaSet[]): ReplicaSet[] {
  const limit = d.spec.revisionHistoryLimit;
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const excess = alive.length - limit;
  if (excess <= 0) return [];
  const byRevision = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
  return byRevision
    .slice(0, excess)
    .filter((rs) => (rs.status.replicas ?? 0) === 0 && rs.spec.replicas === 0 && (rs.metadata.generation ?? 0) <= (rs.status.observedGeneration ?? 0));
}
