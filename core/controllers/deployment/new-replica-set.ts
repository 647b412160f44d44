// Finding or creating the Deployment's new ReplicaSet in a sync
// (getAllReplicaSetsAndSyncRevision): the existing one gets its annotations
// and revision brought up to date (a rollback raises an old ReplicaSet's
// revision to max+1); a missing one is created, named by the template hash,
// unless that name is taken by another template (then collisionCount goes up
// and the next sync tries the next hash).

import type { ReplicaSet } from "../../resources/apps.ts";
import { templateHash } from "../template-hash.ts";
import { getCondition, hasProgressDeadline, newCondition, PROGRESSING, REASONS, setCondition } from "./conditions.ts";
import { maxSurge } from "./fenceposts.ts";
import { buildNewReplicaSet, findNewReplicaSet, specReplicas } from "./replica-sets.ts";
import { maxRevision, REVISION, setDeploymentRevision, setNewReplicaSetAnnotations } from "./revisions.ts";
import type { SyncState } from "./sync-state.ts";

export interface ReplicaSetsOfSync {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
  /** A hash collision was recorded: end the sync here. */
  collided?: true;
}

/** NewRSNewReplicas: how many pods the new ReplicaSet may have now. */
export function newRSNewReplicas(state: SyncState, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number {
  const d = state.d;
  if (d.spec.strategy.type === "Recreate") return d.spec.replicas;
  const maxTotal = d.spec.replicas + maxSurge(d);
  const current = specReplicas(allRSs);
  if (current >= maxTotal) return newRS.spec.replicas;
  return newRS.spec.replicas + Math.min(maxTotal - current, d.spec.replicas - newRS.spec.replicas);
}

/**
 * The new and old ReplicaSets of `rsList` (the Deployment's own). With
 * `create`, a missing new ReplicaSet is planned, sized by newRSNewReplicas.
 * `namespaceRSs` are all ReplicaSets of the namespace, to see a name taken.
 */
export function replicaSetsOfSync(state: SyncState, rsList: ReplicaSet[], namespaceRSs: readonly ReplicaSet[], create: boolean): ReplicaSetsOfSync {
  const d = state.d;
  const existing = findNewReplicaSet(d, rsList);
  const oldRSs = rsList.filter((rs) => rs !== existing);
  const newRevision = maxRevision(oldRSs) + 1;

  if (existing) {
    const annotationsChanged = setNewReplicaSetAnnotations(d, existing, newRevision, { exists: true, maxSurge: maxSurge(d) });
    const minReadyChanged = (existing.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
    if (minReadyChanged) existing.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
    if (annotationsChanged || minReadyChanged) state.writeReplicaSet(existing);
    setDeploymentRevision(d, existing.metadata.annotations?.[REVISION]);
    if (hasProgressDeadline(d) && !getCondition(d.status, PROGRESSING)) {
      setCondition(d.status, newCondition(PROGRESSING, "True", REASONS.foundNewReplicaSet, `Found new replica set "${existing.metadata.name}"`, state.now));
    }
    return { newRS: existing, oldRSs };
  }
  if (!create) return { newRS: undefined, oldRSs };

  const rs = buildNewReplicaSet(d, templateHash(d.spec.template, d.status.collisionCount ?? 0), 0);
  if (namespaceRSs.some((x) => x.metadata.name === rs.metadata.name)) {
    // The name is another template's (the Deployment's own would have been found above).
    d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
    return { newRS: undefined, oldRSs, collided: true };
  }
  rs.spec.replicas = newRSNewReplicas(state, [...oldRSs, rs], rs);
  setNewReplicaSetAnnotations(d, rs, newRevision, { exists: false, maxSurge: maxSurge(d) });
  const scaled = rs.spec.replicas > 0 ? [{ type: "Normal" as const, reason: "ScalingReplicaSet", message: `Scaled up replica set ${rs.metadata.name} to ${rs.spec.replicas}` }] : [];
  state.createReplicaSet(rs, scaled);
  rsList.push(rs);
  setDeploymentRevision(d, String(newRevision));
  if (hasProgressDeadline(d)) {
    setCondition(d.status, newCondition(PROGRESSING, "True", REASONS.newReplicaSetCreated, `Created new replica set "${rs.metadata.name}"`, state.now));
  }
  return { newRS: rs, oldRSs };
}
