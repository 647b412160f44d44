// The Deployment planner (Kubernetes' syncDeployment): claim ReplicaSets by
// selector, then either only the status (being deleted), scaling (paused, or
// the replica count changed), or a rollout step of the strategy. Pure: the
// Deployment, the ReplicaSets and pods it can see and `now` in, actions out.

import type { Deployment, ReplicaSet } from "../../resources/apps.ts";
import { isEmptySelector } from "../../resources/meta.ts";
import type { KubeObject } from "../../resources/object.ts";
import { matchesLabels, selectorFromSpec } from "../../selectors/label-selector.ts";
import { adopted, claimOf } from "../replica-set/claim.ts";
import { getCondition, hasProgressDeadline, newCondition, PROGRESSING, REASONS, setCondition } from "./conditions.ts";
import { replicaSetsOfSync } from "./new-replica-set.ts";
import { rolloutRecreate, rolloutRolling, cleanupDeployment } from "./plan-rollout.ts";
import { isScalingEvent, scale } from "./plan-scale.ts";
import { syncDeploymentStatus } from "./plan-status.ts";
import { SyncState, type DeploymentPlan } from "./sync-state.ts";

export type { DeploymentAction, DeploymentPlan, PlannedEvent } from "./sync-state.ts";

export interface DeploymentPlanInput {
  deployment: Deployment;
  /** Every ReplicaSet of the Deployment's namespace. */
  replicaSets: readonly ReplicaSet[];
  /** Pods controlled by those ReplicaSets (Recreate waits for the old ones to go). */
  pods: readonly KubeObject[];
  now: number;
}

/** checkPausedConditions: Progressing turns Unknown on pause and resume (unless it already timed out). */
function checkPausedConditions(state: SyncState): void {
  const d = state.d;
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, PROGRESSING);
  if (cond?.reason === REASONS.progressDeadlineExceeded) return;
  const pausedCond = cond?.reason === REASONS.paused;
  if (d.spec.paused && !pausedCond) setCondition(d.status, newCondition(PROGRESSING, "Unknown", REASONS.paused, "Deployment is paused", state.now));
  else if (!d.spec.paused && pausedCond) setCondition(d.status, newCondition(PROGRESSING, "Unknown", REASONS.resumed, "Deployment is resumed", state.now));
}

/** sync: scale without rolling out (paused, or a replica count change). */
function syncScale(state: SyncState, rsList: ReplicaSet[], namespaceRSs: readonly ReplicaSet[]): void {
  const { newRS, oldRSs } = replicaSetsOfSync(state, rsList, namespaceRSs, false);
  scale(state, newRS, oldRSs);
  if (state.d.spec.paused) cleanupDeployment(state, oldRSs);
  syncDeploymentStatus(state, [...oldRSs, ...(newRS ? [newRS] : [])], newRS);
}

export function planDeployment(input: DeploymentPlanInput): DeploymentPlan {
  const state = new SyncState(input.deployment, input.now);
  const d = state.d;
  if (isEmptySelector(d.spec.selector)) {
    state.event({ type: "Warning", reason: "SelectingAll", message: "This deployment is selecting all pods. A non-empty selector is required." });
    if ((d.status.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) d.status.observedGeneration = d.metadata.generation;
    return state.finish();
  }
  const selector = selectorFromSpec(d.spec.selector);
  const namespaceRSs = input.replicaSets.filter((rs) => rs.metadata.namespace === d.metadata.namespace);
  const rsList: ReplicaSet[] = [];
  for (const rs of namespaceRSs) {
    const claim = claimOf(d, rs, matchesLabels(selector, rs.metadata.labels));
    if (claim === "keep") rsList.push(structuredClone(rs));
    else if (claim === "adopt") {
      state.actions.push({ type: "adoptReplicaSet", rs });
      rsList.push(adopted(structuredClone(rs), d));
    } else if (claim === "release") state.actions.push({ type: "releaseReplicaSet", rs });
  }

  if (d.metadata.deletionTimestamp) {
    const { newRS, oldRSs } = replicaSetsOfSync(state, rsList, namespaceRSs, false);
    syncDeploymentStatus(state, [...oldRSs, ...(newRS ? [newRS] : [])], newRS);
    return state.finish();
  }
  checkPausedConditions(state);
  if (d.spec.paused) {
    syncScale(state, rsList, namespaceRSs);
    return state.finish();
  }
  const { newRS, oldRSs } = replicaSetsOfSync(state, rsList, namespaceRSs, false);
  if (isScalingEvent(state, newRS, oldRSs)) {
    syncScale(state, rsList, namespaceRSs);
    return state.finish();
  }
  if (d.spec.strategy.type === "Recreate") rolloutRecreate(state, rsList, namespaceRSs, input.pods);
  else rolloutRolling(state, rsList, namespaceRSs);
  return state.finish();
}
