// Pod facts every workload controller needs: phase, readiness, availability,
// and a new Pod made from a template.

import type { KubeObject } from "../resources/object.ts";
import { newControllerRef } from "./owners.ts";

interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

interface PodShape {
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: PodCondition[] };
}

export function podPhase(pod: KubeObject): string {
  return (pod as PodShape).status?.phase ?? "Pending";
}

export function podNodeName(pod: KubeObject): string {
  return (pod as PodShape).spec?.nodeName ?? "";
}

/** Not finished and not being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase !== "Succeeded" && phase !== "Failed" && !pod.metadata.deletionTimestamp;
}

function readyCondition(pod: KubeObject): PodCondition | undefined {
  return (pod as PodShape).status?.conditions?.find((c) => c.type === "Ready");
}

export function isPodReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === "True";
}

/** Ready for at least minReadySeconds at `nowMs`. */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, nowMs: number): boolean {
  const c = readyCondition(pod);
  if (c?.status !== "True") return false;
  if (minReadySeconds <= 0) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= nowMs;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: Record<string, unknown>;
}

/**
 * A Pod to create from `template`, controlled by `owner`. Either `name`
 * (StatefulSet, DaemonSet-style fixed names) or a generateName of
 * `${owner name}-` is used.
 */
export function podFromTemplate(
  template: PodTemplate,
  owner: KubeObject,
  opts: { name?: string; generateName?: string; labels?: Record<string, string>; nodeName?: string } = {},
): KubeObject {
  const labels = { ...(template.metadata?.labels ?? {}), ...(opts.labels ?? {}) };
  const annotations = template.metadata?.annotations;
  const spec = structuredClone(template.spec ?? {});
  if (opts.nodeName) spec.nodeName = opts.nodeName;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...(opts.name ? { name: opts.name } : { generateName: opts.generateName ?? `${owner.metadata.name}-` }),
      namespace: owner.metadata.namespace,
      labels,
      ...(annotations ? { annotations: { ...annotations } } : {}),
      ownerReferences: [newControllerRef(owner)],
    },
    spec,
  };
}
