// NodeAffinity (Filter and Score): the node must match the Pod's
// spec.nodeSelector and one of its required node affinity terms; among
// feasible nodes, the sum of the weights of the preferred terms it matches
// ranks it.

import { defaultNormalizeScores, SUCCESS, unresolvable, type FilterPlugin, type ScorePlugin } from "../framework.ts";
import { anyTermMatches, termMatches } from "../node-selector.ts";
import type { PodInfo } from "../pod-info.ts";

export const NODE_AFFINITY = "NodeAffinity";
export const NODE_AFFINITY_MISMATCH = "node(s) didn't match Pod's node affinity/selector";

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** spec.nodeSelector (every label equal) and the required terms (any one) both hold. */
export function matchesNodeSelectorAndAffinity(pod: PodInfo, nodeName: string, labels: Readonly<Record<string, string>> | undefined): boolean {
  const set = labels ?? NO_LABELS;
  if (pod.nodeSelector) {
    for (const k in pod.nodeSelector) if (!Object.hasOwn(set, k) || set[k] !== pod.nodeSelector[k]) return false;
  }
  return pod.requiredTerms === undefined || anyTermMatches(pod.requiredTerms, nodeName, set);
}

/** Sum of the weights of the preferred terms the node matches. */
export function preferredAffinityScore(pod: PodInfo, nodeName: string, labels: Readonly<Record<string, string>> | undefined): number {
  let sum = 0;
  const set = labels ?? NO_LABELS;
  for (let i = 0; i < pod.preferredTerms.length; i++) {
    const p = pod.preferredTerms[i]!;
    if (termMatches(p.term, nodeName, set)) sum += p.weight;
  }
  return sum;
}

const MISMATCH = unresolvable(NODE_AFFINITY_MISMATCH);

export const nodeAffinity: FilterPlugin & ScorePlugin = {
  name: NODE_AFFINITY,
  skipFilter: (_state, pod) => pod.nodeSelector === undefined && pod.requiredTerms === undefined,
  filter(_state, pod, node) {
    return matchesNodeSelectorAndAffinity(pod, node.name, node.labels) ? SUCCESS : MISMATCH;
  },
  skipScore: (_state, pod) => pod.preferredTerms.length === 0,
  score(_state, pod, nodes, scores) {
    for (let i = 0; i < nodes.length; i++) scores[i] = preferredAffinityScore(pod, nodes[i]!.name, nodes[i]!.labels);
  },
  normalizeScores(_state, _pod, scores) {
    defaultNormalizeScores(scores, false);
  },
};
