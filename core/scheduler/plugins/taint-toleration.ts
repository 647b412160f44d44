// TaintToleration (Filter and Score): a node's NoSchedule and NoExecute
// taints must each be tolerated by the Pod; among feasible nodes, fewer
// untolerated PreferNoSchedule taints score higher.

import type { Taint } from "../../resources/cluster.ts";
import type { Toleration } from "../../resources/pod.ts";
import { defaultNormalizeScores, SUCCESS, unresolvable, type FilterPlugin, type ScorePlugin } from "../framework.ts";

export const TAINT_TOLERATION = "TaintToleration";

/** The taint a node is reported by, e.g. "node(s) had untolerated taint {dedicated: gpu}". */
export function untoleratedTaintReason(taint: Pick<Taint, "key" | "value">): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`;
}

/** v1.Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Pick<Taint, "key" | "value" | "effect">): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? "Equal") {
    case "Exists":
      return true;
    case "Equal":
      return (t.value ?? "") === (taint.value ?? "");
    default:
      return false;
  }
}

export function tolerationsTolerateTaint(tolerations: readonly Toleration[], taint: Pick<Taint, "key" | "value" | "effect">): boolean {
  for (let i = 0; i < tolerations.length; i++) if (toleratesTaint(tolerations[i]!, taint)) return true;
  return false;
}

/** The first NoSchedule/NoExecute taint the tolerations do not cover (what the filter reports). */
export function findUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint | undefined {
  for (let i = 0; i < taints.length; i++) {
    const taint = taints[i]!;
    if (taint.effect !== "PreferNoSchedule" && !tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

/** Untolerated PreferNoSchedule taints; only tolerations with that effect (or none) count, as in Kubernetes. */
export function countIntolerablePreferNoSchedule(taints: readonly Taint[], tolerations: readonly Toleration[]): number {
  let n = 0;
  for (let i = 0; i < taints.length; i++) {
    const taint = taints[i]!;
    if (taint.effect !== "PreferNoSchedule") continue;
    if (!tolerations.some((t) => (!t.effect || t.effect === "PreferNoSchedule") && toleratesTaint(t, taint))) n++;
  }
  return n;
}

export const taintToleration: FilterPlugin & ScorePlugin = {
  name: TAINT_TOLERATION,
  filter(_state, pod, node) {
    const taint = node.hardTaints.length ? findUntoleratedTaint(node.hardTaints, pod.tolerations) : undefined;
    return taint ? unresolvable(untoleratedTaintReason(taint)) : SUCCESS;
  },
  score(_state, pod, nodes, scores) {
    for (let i = 0; i < nodes.length; i++) {
      const taints = nodes[i]!.preferNoScheduleTaints;
      scores[i] = taints.length ? countIntolerablePreferNoSchedule(taints, pod.tolerations) : 0;
    }
  },
  normalizeScores(_state, _pod, scores) {
    defaultNormalizeScores(scores, true);
  },
};
