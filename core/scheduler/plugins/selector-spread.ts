// SelectorSpread (Score, a PodTopologySpread-lite over nodes): Pods of the
// same controller (the same controller ownerReference uid) prefer the nodes
// that run fewest of them. Pods without a controller score every node alike.

import { MAX_NODE_SCORE, type ScorePlugin } from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";

export const SELECTOR_SPREAD = "SelectorSpread";

export function siblingsOnNode(pod: PodInfo, node: NodeInfo): number {
  return pod.controllerUid ? (node.controllerPods.get(pod.controllerUid) ?? 0) : 0;
}

/** Fewest siblings is MAX_NODE_SCORE, most is 0: 100 * (max - count) / max. */
export function spreadScores(counts: Float64Array): void {
  let max = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i]! > max) max = counts[i]!;
  for (let i = 0; i < counts.length; i++) counts[i] = max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max - counts[i]!)) / max);
}

export const selectorSpread: ScorePlugin = {
  name: SELECTOR_SPREAD,
  skipScore: (_state, pod) => pod.controllerUid === undefined,
  score(_state, pod, nodes, scores) {
    for (let i = 0; i < nodes.length; i++) scores[i] = siblingsOnNode(pod, nodes[i]!);
  },
  normalizeScores(_state, _pod, scores) {
    spreadScores(scores);
  },
};
