// The two rollout strategies. RollingUpdate: scale the new ReplicaSet up
// while total pods stay within replicas + maxSurge, and old ones down while
// available pods stay at least replicas - maxUnavailable, counting only pods
// that are Available. Recreate: old ReplicaSets to zero, wait until their
// pods are gone, then the new one at full size. Either way, a finished
// rollout trims old ReplicaSets beyond revisionHistoryLimit.

import type { ReplicaSet } from "../../resources/apps.ts";
import type { KubeObject } from "../../resources/object.ts";
import { controllerOf } from "../owners.ts";
import { podPhase } from "../pods.ts";
import { deploymentComplete } from "./conditions.ts";
import { maxUnavailable } from "./fenceposts.ts";
import { newRSNewReplicas, replicaSetsOfSync } from "./new-replica-set.ts";
import { syncRolloutStatus } from "./plan-status.ts";
import { activeReplicaSets, actualReplicas, byCreation, dependableAvailable, specReplicas } from "./replica-sets.ts";
import { replicaSetsToClean } from "./revisions.ts";
import type { SyncState } from "./sync-state.ts";

/** cleanupDeployment: deletes old ReplicaSets beyond revisionHistoryLimit (not those this sync writes). */
export function cleanupDeployment(state: SyncState, oldRSs: readonly ReplicaSet[]): void {
  for (const rs of replicaSetsToClean(state.d, oldRSs)) if (!state.writes(rs)) state.deleteReplicaSet(rs);
}

function reconcileNewReplicaSet(state: SyncState, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): boolean {
  const want = state.d.spec.replicas;
  if (newRS.spec.replicas === want) return false;
  if (newRS.spec.replicas > want) return state.scale(newRS, want);
  return state.scale(newRS, newRSNewReplicas(state, allRSs, newRS));
}

/** Old ReplicaSets with pods that are not available go down first: that costs no availability. */
function cleanupUnhealthyReplicas(state: SyncState, oldRSs: readonly ReplicaSet[], maxCleanup: number): number {
  let done = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (done >= maxCleanup) break;
    const unhealthy = rs.spec.replicas - dependableAvailable(rs);
    if (rs.spec.replicas === 0 || unhealthy === 0) continue;
    const n = Math.min(maxCleanup - done, unhealthy);
    state.scale(rs, rs.spec.replicas - n);
    done += n;
  }
  return done;
}

function scaleDownOldForRollingUpdate(state: SyncState, allRSs: readonly ReplicaSet[], oldRSs: readonly ReplicaSet[]): number {
  const minAvailable = state.d.spec.replicas - maxUnavailable(state.d);
  const available = allRSs.reduce((n, rs) => n + dependableAvailable(rs), 0);
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let done = 0;
  for (const rs of [...oldRSs].sort(byCreation)) {
    if (done >= budget) break;
    if (rs.spec.replicas === 0) continue;
    const n = Math.min(rs.spec.replicas, budget - done);
    state.scale(rs, rs.spec.replicas - n);
    done += n;
  }
  return done;
}

function reconcileOldReplicaSets(state: SyncState, allRSs: readonly ReplicaSet[], oldRSs: readonly ReplicaSet[], newRS: ReplicaSet): boolean {
  if (specReplicas(oldRSs) === 0) return false;
  const minAvailable = state.d.spec.replicas - maxUnavailable(state.d);
  const newUnavailable = newRS.spec.replicas - dependableAvailable(newRS);
  // Pods that may go without dropping below minAvailable, not counting new pods that are not available yet.
  const maxScaledDown = specReplicas(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const cleaned = cleanupUnhealthyReplicas(state, oldRSs, maxScaledDown);
  return cleaned + scaleDownOldForRollingUpdate(state, allRSs, oldRSs) > 0;
}

export function rolloutRolling(state: SyncState, rsList: ReplicaSet[], namespaceRSs: readonly ReplicaSet[]): void {
  const { newRS, oldRSs, collided } = replicaSetsOfSync(state, rsList, namespaceRSs, true);
  if (collided || !newRS) return;
  const allRSs = [...oldRSs, newRS];
  if (reconcileNewReplicaSet(state, allRSs, newRS)) return syncRolloutStatus(state, allRSs, newRS);
  if (reconcileOldReplicaSets(state, allRSs, activeReplicaSets(oldRSs), newRS)) return syncRolloutStatus(state, allRSs, newRS);
  if (deploymentComplete(state.d, state.d.status)) cleanupDeployment(state, oldRSs);
  syncRolloutStatus(state, allRSs, newRS);
}

/** Pods of old ReplicaSets that are not finished (being deleted still counts: Recreate waits for them). */
function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[], pods: readonly KubeObject[]): boolean {
  if (actualReplicas(oldRSs) > 0) return true;
  const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
  return pods.some((p) => {
    const owner = controllerOf(p)?.uid;
    if (owner === undefined || owner === newRS?.metadata.uid || !oldUids.has(owner)) return false;
    const phase = podPhase(p);
    return phase !== "Succeeded" && phase !== "Failed";
  });
}

export function rolloutRecreate(state: SyncState, rsList: ReplicaSet[], namespaceRSs: readonly ReplicaSet[], pods: readonly KubeObject[]): void {
  // No new ReplicaSet yet: creating it now would scale up before the old pods are gone.
  const found = replicaSetsOfSync(state, rsList, namespaceRSs, false);
  let scaledDown = false;
  for (const rs of activeReplicaSets(found.oldRSs)) if (state.scale(rs, 0)) scaledDown = true;
  if (scaledDown || oldPodsRunning(found.newRS, found.oldRSs, pods)) {
    return syncRolloutStatus(state, [...found.oldRSs, ...(found.newRS ? [found.newRS] : [])], found.newRS);
  }
  const { newRS, oldRSs, collided } = found.newRS ? found : replicaSetsOfSync(state, rsList, namespaceRSs, true);
  if (collided || !newRS) return;
  state.scale(newRS, state.d.spec.replicas);
  if (deploymentComplete(state.d, state.d.status)) cleanupDeployment(state, oldRSs);
  syncRolloutStatus(state, [...oldRSs, newRS], newRS);
}
