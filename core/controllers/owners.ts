// Owner references as controllers use them: who controls an object, and the
// reference a controller puts on what it creates.

import { apiVersionOf, isKindName } from "../resources/kinds.ts";
import type { KubeObject, OwnerReference } from "../resources/object.ts";
import type { Informer } from "../informer/informer.ts";
import { BY_OWNER } from "../informer/indexes.ts";

/** The ownerReference with controller: true, if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return controllerOf(obj)?.uid === owner.metadata.uid;
}

export function newControllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: isKindName(owner.kind) ? apiVersionOf(owner.kind) : owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? "",
    uid: owner.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The objects of `kind` (Pods by default) that `owner` controls, from the informer's owner index. */
export function controlledBy(informer: Informer, owner: KubeObject, kind = "Pod"): KubeObject[] {
  const uid = owner.metadata.uid ?? "";
  return informer.byIndex(BY_OWNER, uid).filter((o) => o.kind === kind && controllerOf(o)?.uid === uid);
}
