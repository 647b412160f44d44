// NodeResourcesFit (Filter): the Pod's requests must fit in the node's
// allocatable minus what the Pods already there request: CPU, memory,
// ephemeral storage, extended resources and the Pod count.

import { SUCCESS, unschedulable, type FilterPlugin, type Status } from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";

export const NODE_RESOURCES_FIT = "NodeResourcesFit";

export const TOO_MANY_PODS = "Too many pods";
export const INSUFFICIENT_CPU = "Insufficient cpu";
export const INSUFFICIENT_MEMORY = "Insufficient memory";
export const INSUFFICIENT_EPHEMERAL_STORAGE = "Insufficient ephemeral-storage";

export function insufficientReason(resource: string): string {
  return `Insufficient ${resource}`;
}

const PODS = 1;
const CPU = 2;
const MEMORY = 4;
const EPHEMERAL = 8;

// One frozen Status per combination of the four common failures, so a
// rejection allocates nothing.
const STATUS_BY_MASK: readonly Status[] = Array.from({ length: 16 }, (_, mask) =>
  mask === 0
    ? SUCCESS
    : unschedulable(
        ...[
          mask & PODS ? TOO_MANY_PODS : "",
          mask & CPU ? INSUFFICIENT_CPU : "",
          mask & MEMORY ? INSUFFICIENT_MEMORY : "",
          mask & EPHEMERAL ? INSUFFICIENT_EPHEMERAL_STORAGE : "",
        ].filter(Boolean),
      ),
);

function failureMask(pod: PodInfo, node: NodeInfo): number {
  let mask = node.podCount + 1 > node.allowedPodCount ? PODS : 0;
  const req = pod.requests;
  const alloc = node.allocatable;
  const used = node.requested;
  if (req.milliCpu > 0 && req.milliCpu > alloc.milliCpu - used.milliCpu) mask |= CPU;
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) mask |= MEMORY;
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) mask |= EPHEMERAL;
  return mask;
}

/** Extended resources the node lacks room for, in the Pod's order. */
function insufficientScalars(pod: PodInfo, node: NodeInfo): string[] | undefined {
  let out: string[] | undefined;
  for (const [name, want] of pod.requests.scalars ?? []) {
    if (want <= 0) continue;
    const free = (node.allocatable.scalars?.get(name) ?? 0) - (node.requested.scalars?.get(name) ?? 0);
    if (want > free) (out ??= []).push(insufficientReason(name));
  }
  return out;
}

/** Why the Pod does not fit on the node (Kubernetes' order: pods, cpu, memory, ephemeral-storage, extended); empty when it fits. */
export function insufficientResources(pod: PodInfo, node: NodeInfo): readonly string[] {
  const common = STATUS_BY_MASK[failureMask(pod, node)]!.reasons;
  const scalars = pod.requests.scalars ? insufficientScalars(pod, node) : undefined;
  return scalars ? [...common, ...scalars] : common;
}

export const nodeResourcesFit: FilterPlugin = {
  name: NODE_RESOURCES_FIT,
  filter(_state, pod, node) {
    const mask = failureMask(pod, node);
    const scalars = pod.requests.scalars ? insufficientScalars(pod, node) : undefined;
    if (!scalars) return STATUS_BY_MASK[mask]!;
    return unschedulable(...STATUS_BY_MASK[mask]!.reasons, ...scalars);
  },
};
