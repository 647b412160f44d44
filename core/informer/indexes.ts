// The secondary indexes controllers share on the one informer. Register them
// with registerStandardIndexes before the informer starts.

import type { Informer } from "./informer.ts";

/** An object by its metadata.uid. */
export const BY_UID = "uid";
/** Dependents by the uid of each owner in metadata.ownerReferences. */
export const BY_OWNER = "owner";
/** Pods by spec.nodeName ("" for unscheduled pods). */
export const PODS_BY_NODE = "pods-by-node";

export function registerStandardIndexes(informer: Informer): void {
  informer.addIndex(BY_UID, (o) => (o.metadata.uid ? [o.metadata.uid] : []));
  informer.addIndex(BY_OWNER, (o) => (o.metadata.ownerReferences ?? []).map((r) => r.uid));
  informer.addIndex(PODS_BY_NODE, (o) => (o.kind === "Pod" ? [((o.spec as { nodeName?: string } | undefined)?.nodeName ?? "")] : []));
}
