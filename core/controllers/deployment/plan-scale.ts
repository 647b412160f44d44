// Scaling a Deployment whose replica count changed (or that is paused):
// one active ReplicaSet simply takes the new count; during a rollout the
// difference is spread over the active ReplicaSets in proportion to their
// size (Kubernetes' proportional scaling), leftovers to the largest.

import type { ReplicaSet } from "../../resources/apps.ts";
import { isRollingUpdate, maxSurge } from "./fenceposts.ts";
import { activeReplicaSets, byCreation, bySizeNewer, bySizeOlder, specReplicas } from "./replica-sets.ts";
import { desiredReplicasOf, maxReplicasOf } from "./revisions.ts";
import type { SyncState } from "./sync-state.ts";

/** An active ReplicaSet was sized for another replica count than the Deployment's. */
export function isScalingEvent(state: SyncState, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): boolean {
  return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
    const desired = desiredReplicasOf(rs);
    return desired !== undefined && desired !== state.d.spec.replicas;
  });
}

/** FindActiveOrLatest: the only active ReplicaSet, or the newest when none is active; undefined when several are. */
function activeOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/** The new ReplicaSet has every pod, all available, sized for this replica count. */
function isSaturated(state: SyncState, rs: ReplicaSet | undefined): boolean {
  const want = state.d.spec.replicas;
  return rs !== undefined && rs.spec.replicas === want && desiredReplicasOf(rs) === want && (rs.status.availableReplicas ?? 0) === want;
}

/** getReplicaSetFraction: this ReplicaSet's share of the change, from the max-replicas it was sized for. */
function fraction(state: SyncState, rs: ReplicaSet): number {
  const d = state.d;
  if (d.spec.replicas === 0) return -rs.spec.replicas;
  const max = d.spec.replicas + maxSurge(d);
  let before = maxReplicasOf(rs) ?? 0;
  // Without the annotation (edited by hand, or the Deployment was at 0) fall back to its current size.
  if (before <= 0) before = d.status.replicas ?? 0;
  if (before <= 0) return 0;
  return Math.round((rs.spec.replicas * max) / before) - rs.spec.replicas;
}

function proportion(state: SyncState, rs: ReplicaSet, toAdd: number, added: number): number {
  if (rs.spec.replicas === 0 || toAdd === 0 || toAdd === added) return 0;
  const share = fraction(state, rs);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(share, allowed) : Math.max(share, allowed);
}

/** scale: brings the ReplicaSets' total to the Deployment's, as described above. */
export function scale(state: SyncState, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): void {
  const d = state.d;
  const only = activeOrLatest(newRS, oldRSs);
  if (only) {
    if (only.spec.replicas !== d.spec.replicas) state.scale(only, d.spec.replicas);
    return;
  }
  // A saturated new ReplicaSet (e.g. after adopting old ones): the old go to zero.
  if (isSaturated(state, newRS)) {
    for (const old of activeReplicaSets(oldRSs)) state.scale(old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = activeReplicaSets([...oldRSs, newRS]);
  const allowed = d.spec.replicas > 0 ? d.spec.replicas + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(all);
  if (toAdd > 0) all.sort(bySizeNewer);
  else if (toAdd < 0) all.sort(bySizeOlder);
  const direction = toAdd > 0 ? "up" : "down";
  let added = 0;
  const sizes = all.map((rs) => {
    const p = proportion(state, rs, toAdd, added);
    added += p;
    return rs.spec.replicas + p;
  });
  all.forEach((rs, i) => {
    let size = sizes[i] ?? rs.spec.replicas;
    if (i === 0 && toAdd !== 0) size = Math.max(size + toAdd - added, 0);
    state.scale(rs, size, direction);
  });
}
