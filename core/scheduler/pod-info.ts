// PodInfo: what the scheduler needs to know about a Pod, computed once per
// Pod (Kubernetes' framework.PodInfo and PreFilter state in one): requests,
// host ports, tolerations, compiled node affinity, the controller's uid and a
// hash that spreads ties. Plugins read it for every node, so nothing here is
// recomputed per node.

import { controllerOf } from "../controllers/owners.ts";
import type { KubeObject } from "../resources/object.ts";
import type { Pod, Toleration } from "../resources/pod.ts";
import { compileTerm, compileTerms, type CompiledTerm, type NodeSelectorTerm } from "./node-selector.ts";
import { podRequests, type Resources } from "./resources.ts";

export interface HostPort {
  /** "0.0.0.0" when the port binds every address. */
  ip: string;
  protocol: string;
  port: number;
}

export interface WeightedTerm {
  weight: number;
  term: CompiledTerm;
}

export interface PodInfo {
  readonly pod: Pod;
  /** `namespace/name`. */
  readonly key: string;
  readonly requests: Resources;
  /** Requests with missing CPU/memory counted as the scoring defaults. */
  readonly nonZeroMilliCpu: number;
  readonly nonZeroMemory: number;
  readonly hostPorts: readonly HostPort[];
  readonly tolerations: readonly Toleration[];
  readonly nodeSelector: Readonly<Record<string, string>> | undefined;
  /** Required node affinity terms (ORed); undefined when the Pod has none. */
  readonly requiredTerms: readonly CompiledTerm[] | undefined;
  readonly preferredTerms: readonly WeightedTerm[];
  readonly controllerUid: string | undefined;
  readonly priority: number;
  /** FNV-1a of the key: where a Pod starts looking and how it breaks ties. */
  readonly hash: number;
}

interface AffinityShape {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: { weight?: number; preference?: NodeSelectorTerm }[];
  };
}

export const ANY_IP = "0.0.0.0";
const NO_PORTS: readonly HostPort[] = [];
const NO_TOLERATIONS: readonly Toleration[] = [];
const NO_TERMS: readonly WeightedTerm[] = [];

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function hostPortsOf(spec: Pod["spec"]): readonly HostPort[] {
  let out: HostPort[] | undefined;
  for (const c of spec.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      (out ??= []).push({ ip: p.hostIP || ANY_IP, protocol: p.protocol ?? "TCP", port: p.hostPort });
    }
  }
  return out ?? NO_PORTS;
}

/**
 * `intern` maps a controller uid to one shared string instance (the cache's
 * StringInterner), so the per-node Map lookups while scoring compare
 * pointers instead of characters.
 */
export function makePodInfo(obj: KubeObject, intern: (s: string) => string = (s) => s): PodInfo {
  const pod = obj as unknown as Pod;
  const spec = pod.spec ?? ({} as Pod["spec"]);
  const key = `${pod.metadata.namespace ?? ""}/${pod.metadata.name ?? ""}`;
  const controllerUid = controllerOf(obj)?.uid;
  const nonZero = podRequests(spec, { nonZero: true });
  const affinity = (spec.affinity as AffinityShape | undefined)?.nodeAffinity;
  const required = affinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const preferred: WeightedTerm[] = [];
  for (const p of affinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    const term = compileTerm(p.preference);
    if (term && p.weight) preferred.push({ weight: p.weight, term });
  }
  return {
    pod,
    key,
    requests: podRequests(spec),
    nonZeroMilliCpu: nonZero.milliCpu,
    nonZeroMemory: nonZero.memory,
    hostPorts: hostPortsOf(spec),
    tolerations: spec.tolerations ?? NO_TOLERATIONS,
    nodeSelector: spec.nodeSelector && Object.keys(spec.nodeSelector).length ? spec.nodeSelector : undefined,
    requiredTerms: required ? compileTerms(required.nodeSelectorTerms) : undefined,
    preferredTerms: preferred.length ? preferred : NO_TERMS,
    controllerUid: controllerUid && intern(controllerUid),
    priority: spec.priority ?? 0,
    hash: fnv1a(key),
  };
}
