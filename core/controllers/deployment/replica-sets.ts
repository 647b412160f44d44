// A Deployment's ReplicaSets: which one is "new" (its template equals the
// Deployment's, ignoring the pod-template-hash label), the old ones, the
// orders Kubernetes sorts them in, and the new ReplicaSet to create.

import type { Deployment, ReplicaSet } from "../../resources/apps.ts";
import type { PodTemplateSpec } from "../../resources/pod.ts";
import { newControllerRef } from "../owners.ts";
import { canonical } from "../template-hash.ts";

export const POD_TEMPLATE_HASH = "pod-template-hash";

function withoutHash(t: PodTemplateSpec): unknown {
  const { [POD_TEMPLATE_HASH]: _, ...labels } = t.metadata.labels ?? {};
  return { ...t, metadata: { ...t.metadata, labels } };
}

/** EqualIgnoreHash: the templates are the same apart from the pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return JSON.stringify(canonical(withoutHash(a))) === JSON.stringify(canonical(withoutHash(b)));
}

function createdAt(rs: ReplicaSet): number {
  const t = rs.metadata.creationTimestamp ? Date.parse(rs.metadata.creationTimestamp) : NaN;
  // Not created yet (planned in this sync): the newest of all.
  return Number.isNaN(t) ? Infinity : t;
}

/** ReplicaSetsByCreationTimestamp: oldest first, then by name. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const d = createdAt(a) - createdAt(b);
  if (d && !Number.isNaN(d)) return d;
  return (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "");
}

/** ReplicaSetsBySizeNewer: larger first; equal sizes newest first (scaling up favours the new). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return b.spec.replicas - a.spec.replicas || byCreation(b, a);
}

/** ReplicaSetsBySizeOlder: larger first; equal sizes oldest first (scaling down takes from the old). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return b.spec.replicas - a.spec.replicas || byCreation(a, b);
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's. */
export function findNewReplicaSet(d: Deployment, rsList: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** ReplicaSets with spec.replicas > 0. */
export function activeReplicaSets(rsList: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rsList.filter((rs): rs is ReplicaSet => rs !== undefined && rs.spec.replicas > 0);
}

/** Sum of spec.replicas: the pods the ReplicaSets are asked for. */
export function specReplicas(rsList: readonly (ReplicaSet | undefined)[]): number {
  return rsList.reduce((n, rs) => n + (rs?.spec.replicas ?? 0), 0);
}

/** Sum of status.replicas: the pods the ReplicaSets have. */
export function actualReplicas(rsList: readonly (ReplicaSet | undefined)[]): number {
  return rsList.reduce((n, rs) => n + (rs?.status.replicas ?? 0), 0);
}

/**
 * Available pods a ReplicaSet can count on: status.availableReplicas, but no
 * more than spec.replicas, because a ReplicaSet just scaled down still
 * reports the pods it is about to delete. Kubernetes trusts the status as
 * is; capping keeps "available >= replicas - maxUnavailable" true while the
 * ReplicaSet's status lags its spec.
 */
export function dependableAvailable(rs: ReplicaSet): number {
  return Math.min(rs.status.availableReplicas ?? 0, rs.spec.replicas);
}

/** The ReplicaSet a Deployment creates for its current template, with `replicas` pods. */
export function buildNewReplicaSet(d: Deployment, hash: string, replicas: number): ReplicaSet {
  const template = structuredClone(d.spec.template);
  template.metadata.labels = { ...(template.metadata.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
  const selector = structuredClone(d.spec.selector);
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
  const spec: ReplicaSet["spec"] = { replicas, selector, template };
  if (d.spec.minReadySeconds !== undefined) spec.minReadySeconds = d.spec.minReadySeconds;
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels: { ...template.metadata.labels },
      ownerReferences: [{ ...newControllerRef(d) }],
    },
    spec,
    status: {},
  };
}
