// Resource amounts as the scheduler counts them: plain numbers (milli-CPU,
// bytes, whole units) parsed once from quantities, a Pod's effective request
// (Kubernetes' resource.PodRequests: containers summed, init containers by the
// max rule, restartable "sidecar" init containers added, spec.overhead on
// top) and the non-zero request used for scoring.

import { quantityToInt, quantityToMilli, safeParseQuantity } from "../resources/quantity.ts";
import type { Pod } from "../resources/pod.ts";

export interface Resources {
  milliCpu: number;
  /** Bytes. */
  memory: number;
  /** Bytes. */
  ephemeralStorage: number;
  /** Extended resources and hugepages, in whole units; undefined when there are none. */
  scalars: Map<string, number> | undefined;
}

/** What a container without a CPU or memory request counts as when scoring (schedutil's defaults). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

type ResourceList = Readonly<Record<string, string>> | undefined;

export function emptyResources(): Resources {
  return { milliCpu: 0, memory: 0, ephemeralStorage: 0, scalars: undefined };
}

/** Extended (`example.com/gpu`) and hugepages resources; other unknown names are ignored, as in Kubernetes. */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith("hugepages-")) return true;
  return name.includes("/") && !name.includes("kubernetes.io/") && !name.startsWith("requests.");
}

function milli(q: string | undefined): number {
  if (q === undefined) return 0;
  const r = safeParseQuantity(q);
  return r.ok ? Number(quantityToMilli(r.quantity)) : 0;
}

function whole(q: string | undefined): number {
  if (q === undefined) return 0;
  const r = safeParseQuantity(q);
  return r.ok ? Number(quantityToInt(r.quantity)) : 0;
}

/** A ResourceList parsed into numbers. */
export function parseResources(list: ResourceList): Resources {
  const r = emptyResources();
  if (!list) return r;
  for (const name in list) {
    const q = list[name];
    if (name === "cpu") r.milliCpu = milli(q);
    else if (name === "memory") r.memory = whole(q);
    else if (name === "ephemeral-storage") r.ephemeralStorage = whole(q);
    else if (isScalarResourceName(name)) (r.scalars ??= new Map()).set(name, whole(q));
  }
  return r;
}

/** Allocatable "pods" of a node; a node that reports none takes none (as in Kubernetes). */
export function parsePodCount(list: ResourceList): number {
  return whole(list?.pods);
}

export function addResources(into: Resources, r: Resources, sign: 1 | -1 = 1): void {
  into.milliCpu += sign * r.milliCpu;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  if (!r.scalars) return;
  for (const [name, v] of r.scalars) {
    const scalars = (into.scalars ??= new Map());
    scalars.set(name, (scalars.get(name) ?? 0) + sign * v);
  }
}

function maxInto(into: Resources, r: Resources): void {
  into.milliCpu = Math.max(into.milliCpu, r.milliCpu);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  if (!r.scalars) return;
  for (const [name, v] of r.scalars) {
    const scalars = (into.scalars ??= new Map());
    scalars.set(name, Math.max(scalars.get(name) ?? 0, v));
  }
}

function copyResources(r: Resources): Resources {
  return { ...r, scalars: r.scalars && new Map(r.scalars) };
}

interface ContainerShape {
  resources?: { requests?: Record<string, string> };
  restartPolicy?: string;
}

/** Requests of one container; with `nonZero`, a missing CPU or memory request counts as the scoring default. */
function containerRequests(c: ContainerShape, nonZero: boolean): Resources {
  const requests = c.resources?.requests;
  const r = parseResources(requests);
  if (nonZero) {
    if (requests?.cpu === undefined) r.milliCpu = DEFAULT_MILLI_CPU_REQUEST;
    if (requests?.memory === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * max(sum of containers + sidecars, each init container on top of the
 * sidecars started before it) + overhead. `nonZero` gives the scoring
 * variant (Kubernetes' NonMissingContainerRequests).
 */
export function podRequests(spec: Pick<Pod["spec"], "containers" | "initContainers" | "overhead">, opts: { nonZero?: boolean } = {}): Resources {
  const nonZero = opts.nonZero ?? false;
  const reqs = emptyResources();
  for (const c of spec.containers ?? []) addResources(reqs, containerRequests(c, nonZero));
  const sidecars = emptyResources();
  const initMax = emptyResources();
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === "Always") {
      // A sidecar keeps running next to the app containers.
      addResources(reqs, r);
      addResources(sidecars, r);
      maxInto(initMax, sidecars);
    } else {
      const during = copyResources(r);
      addResources(during, sidecars);
      maxInto(initMax, during);
    }
  }
  maxInto(reqs, initMax);
  if (spec.overhead) addResources(reqs, parseResources(spec.overhead));
  return reqs;
}
