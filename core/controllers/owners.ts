// Owner references as controllers use them: who controls an object, and the
// reference a controller puts on what it creates.

import { apiVersionOf, isKindName } from "../resources/kinds.ts";
import type { KubeObject, OwnerReference } from "../resources/object.ts";

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
