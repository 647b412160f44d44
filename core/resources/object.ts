// The shape every stored object shares, independent of its kind. The
// per-kind zod schemas (core/resources/*.ts) refine it; the store, the watch
// cache and the API only need this much.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** Identifies one stored object. `namespace` is "" for cluster-scoped kinds. */
export interface ObjectKey {
  kind: string;
  namespace: string;
  name: string;
}

export function keyOf(obj: KubeObject): ObjectKey {
  return { kind: obj.kind, namespace: obj.metadata.namespace ?? "", name: obj.metadata.name ?? "" };
}

export function formatKey(key: ObjectKey): string {
  return key.namespace ? `${key.kind} ${key.namespace}/${key.name}` : `${key.kind} ${key.name}`;
}
