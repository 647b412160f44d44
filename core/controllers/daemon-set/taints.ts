// The first taint of a node that a pod does not tolerate, among some effects
// (after Kubernetes' FindMatchingUntoleratedTaint). Toleration matching
// itself is the scheduler's, so the two can never disagree.

import type { Taint } from "../../resources/cluster.ts";
import type { Toleration } from "../../resources/pod.ts";
import { tolerationsTolerateTaint } from "../../scheduler/plugins/taint-toleration.ts";

export type TaintEffect = Taint["effect"];

/** The first taint with one of `effects` that no toleration tolerates. */
export function findUntoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
  effects: readonly TaintEffect[],
): Taint | undefined {
  return taints.find((taint) => effects.includes(taint.effect) && !tolerationsTolerateTaint(tolerations, taint));
}
