// NodeResourcesLeastAllocated (Score): prefers the node with the most CPU
// and memory left after placing the Pod, on non-zero requests (a container
// without a request counts as 100m CPU / 200Mi), CPU and memory weighted
// equally, in Kubernetes' integer arithmetic.

import { MAX_NODE_SCORE, type ScorePlugin } from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";

export const NODE_RESOURCES_LEAST_ALLOCATED = "NodeResourcesLeastAllocated";

/** ((capacity - requested) * 100) / capacity, 0 when it does not fit or there is no capacity. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

export function leastAllocatedScore(pod: PodInfo, node: NodeInfo): number {
  const cpu = leastRequestedScore(node.nonZeroMilliCpu + pod.nonZeroMilliCpu, node.allocatable.milliCpu);
  const memory = leastRequestedScore(node.nonZeroMemory + pod.nonZeroMemory, node.allocatable.memory);
  return Math.floor((cpu + memory) / 2);
}

export const nodeResourcesLeastAllocated: ScorePlugin = {
  name: NODE_RESOURCES_LEAST_ALLOCATED,
  score(_state, pod, nodes, scores) {
    for (let i = 0; i < nodes.length; i++) scores[i] = leastAllocatedScore(pod, nodes[i]!);
  },
};
