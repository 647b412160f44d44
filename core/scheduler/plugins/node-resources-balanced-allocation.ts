// NodeResourcesBalancedAllocation (Score): prefers the node whose CPU and
// memory would be used in the most even proportion after placing the Pod
// (1 - the standard deviation of the two fractions), on actual requests.

import { MAX_NODE_SCORE, type ScorePlugin } from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";

export const NODE_RESOURCES_BALANCED_ALLOCATION = "NodeResourcesBalancedAllocation";

function fraction(requested: number, capacity: number): number | undefined {
  if (capacity <= 0) return undefined;
  return Math.min(requested / capacity, 1);
}

export function balancedAllocationScore(pod: PodInfo, node: NodeInfo): number {
  const cpu = fraction(node.requested.milliCpu + pod.requests.milliCpu, node.allocatable.milliCpu);
  const memory = fraction(node.requested.memory + pod.requests.memory, node.allocatable.memory);
  // With one resource (or none) there is nothing to balance.
  const std = cpu === undefined || memory === undefined ? 0 : Math.abs(cpu - memory) / 2;
  return Math.floor((1 - std) * MAX_NODE_SCORE);
}

export const nodeResourcesBalancedAllocation: ScorePlugin = {
  name: NODE_RESOURCES_BALANCED_ALLOCATION,
  score(_state, pod, nodes, scores) {
    for (let i = 0; i < nodes.length; i++) scores[i] = balancedAllocationScore(pod, nodes[i]!);
  },
};
