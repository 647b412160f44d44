// The requests and limits a Pod asks for, summed as Kubernetes does: the sum
// over containers, or the largest init container where that is more.

import type { KubeObject } from "../../resources/object.ts";
import { addQuantities, compareQuantities, parseQuantity, type Quantity } from "../../resources/quantity.ts";

interface ContainerLike {
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export interface PodResources {
  requests: Map<string, Quantity>;
  limits: Map<string, Quantity>;
}

function add(into: Map<string, Quantity>, list: Record<string, string> | undefined): void {
  for (const [name, v] of Object.entries(list ?? {})) {
    const q = parseQuantity(v);
    const cur = into.get(name);
    into.set(name, cur ? addQuantities(cur, q) : q);
  }
}

function maxInto(into: Map<string, Quantity>, list: Record<string, string> | undefined): void {
  for (const [name, v] of Object.entries(list ?? {})) {
    const q = parseQuantity(v);
    const cur = into.get(name);
    if (!cur || compareQuantities(q, cur) > 0) into.set(name, q);
  }
}

export function podResources(pod: KubeObject): PodResources {
  const spec = (pod.spec ?? {}) as { containers?: ContainerLike[]; initContainers?: ContainerLike[] };
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  for (const c of spec.containers ?? []) {
    add(requests, c.resources?.requests);
    add(limits, c.resources?.limits);
  }
  for (const c of spec.initContainers ?? []) {
    maxInto(requests, c.resources?.requests);
    maxInto(limits, c.resources?.limits);
  }
  return { requests, limits };
}

/** Whether every container (and init container) sets `kind` (requests or limits) of `resource`. */
export function everyContainerSets(pod: KubeObject, kind: "requests" | "limits", resource: string): boolean {
  const spec = (pod.spec ?? {}) as { containers?: ContainerLike[]; initContainers?: ContainerLike[] };
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].every((c) => c.resources?.[kind]?.[resource] !== undefined);
}
