// Taints and tolerations: whether a toleration tolerates a taint, and the
// first taint of a node that a pod does not tolerate. After Kubernetes'
// core/v1 helper ToleratesTaint and FindMatchingUntoleratedTaint.

import type { Taint } from "../../resources/cluster.ts";
import type { Toleration } from "../../resources/pod.ts";

export type TaintEffect = Taint["effect"];

/** An empty key with Exists tolerates every taint; an empty effect tolerates every effect. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? "Equal") {
    case "Equal":
      return (t.value ?? "") === (taint.value ?? "");
    case "Exists":
      return true;
    default:
      return false;
  }
}

/** The first taint with one of `effects` that no toleration tolerates. */
export function findUntoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
  effects: readonly TaintEffect[],
): Taint | undefined {
  return taints.find((taint) => effects.includes(taint.effect) && !tolerations.some((t) => toleratesTaint(t, taint)));
}
