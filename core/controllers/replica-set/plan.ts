// The ReplicaSet planner: given a ReplicaSet and the pods of its namespace,
// which pods it claims (adopt/release) and how many pods it creates or which
// it deletes to reach spec.replicas. Pure; the controller applies the plan.

import type { ReplicaSet } from "../../resources/apps.ts";
import type { KubeObject } from "../../resources/object.ts";
import { matchesLabels, selectorFromSpec } from "../../selectors/label-selector.ts";
import { isPodActive } from "../pods.ts";
import { claimOf } from "./claim.ts";
import { podsToDelete } from "./pod-order.ts";

/** At most this many pods are created or deleted per reconcile (Kubernetes' burstReplicas). */
export const BURST_REPLICAS = 500;

export type ReplicaSetAction =
  | { type: "adopt"; pod: KubeObject }
  | { type: "release"; pod: KubeObject }
  | { type: "create"; count: number }
  | { type: "delete"; pods: KubeObject[] };

export interface ReplicaSetPlanInput {
  rs: ReplicaSet;
  /** Every pod of the ReplicaSet's namespace. */
  pods: readonly KubeObject[];
  /** Pods of every ReplicaSet with the same controller as `rs` (spreads deletions over nodes); defaults to the pods it owns. */
  relatedPods?: readonly KubeObject[];
  /** False while creates or deletes of an earlier reconcile are not yet seen in the cache. */
  expectationsSatisfied: boolean;
}

export interface ReplicaSetPlan {
  actions: ReplicaSetAction[];
  /** Active pods the ReplicaSet controls after the claims: what its status counts. */
  owned: KubeObject[];
  /** owned - spec.replicas: negative means too few pods. */
  diff: number;
}

export function planReplicaSet(input: ReplicaSetPlanInput): ReplicaSetPlan {
  const { rs } = input;
  const selector = selectorFromSpec(rs.spec.selector);
  const actions: ReplicaSetAction[] = [];
  const owned: KubeObject[] = [];
  // Only active pods are claimed and counted: a finished pod is replaced, a deleted one is gone.
  for (const pod of input.pods) {
    if (pod.metadata.namespace !== rs.metadata.namespace || !isPodActive(pod)) continue;
    const claim = claimOf(rs, pod, matchesLabels(selector, pod.metadata.labels));
    if (claim === "keep") owned.push(pod);
    else if (claim === "adopt") {
      actions.push({ type: "adopt", pod });
      owned.push(pod);
    } else if (claim === "release") actions.push({ type: "release", pod });
  }
  const diff = owned.length - rs.spec.replicas;
  if (!input.expectationsSatisfied || rs.metadata.deletionTimestamp) return { actions, owned, diff };
  if (diff < 0) actions.push({ type: "create", count: Math.min(-diff, BURST_REPLICAS) });
  if (diff > 0) {
    const mine = (input.relatedPods ?? owned).filter((p) => p.metadata.namespace === rs.metadata.namespace);
    actions.push({ type: "delete", pods: podsToDelete(owned, mine, Math.min(diff, BURST_REPLICAS)) });
  }
  return { actions, owned, diff };
}

/**
 * Kubernetes' slowStartBatch sizes: 1, 2, 4, ... up to `count` in total, so a
 * template that cannot be created fails once instead of `count` times.
 */
export function slowStartBatches(count: number, initial = 1): number[] {
  const out: number[] = [];
  let left = count;
  for (let size = Math.min(initial, left); left > 0; size = Math.min(2 * size, left)) {
    out.push(size);
    left -= size;
  }
  return out;
}
