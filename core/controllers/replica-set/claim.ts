// Claiming dependents by label selector, as Kubernetes' ControllerRefManager:
// an owner keeps what it controls and still selects, adopts orphans it
// selects, and releases what it controls but no longer selects. Used by the
// ReplicaSet controller (pods) and the Deployment controller (ReplicaSets).

import { TugError } from "../../errors.ts";
import type { KindName } from "../../resources/kinds.ts";
import type { KubeObject } from "../../resources/object.ts";
import type { Registry } from "../../registry/registry.ts";
import { controllerOf, newControllerRef } from "../owners.ts";

export type Claim = "keep" | "adopt" | "release" | "ignore";

/** What `owner` does with `obj`, given whether its selector selects `obj`. */
export function claimOf(owner: KubeObject, obj: KubeObject, selected: boolean): Claim {
  const ref = controllerOf(obj);
  if (ref) {
    if (ref.uid !== owner.metadata.uid) return "ignore";
    if (selected) return "keep";
    // An owner being deleted keeps what it has: releasing would orphan it on the way out.
    return owner.metadata.deletionTimestamp ? "ignore" : "release";
  }
  if (owner.metadata.deletionTimestamp || !selected || obj.metadata.deletionTimestamp) return "ignore";
  if ((owner.metadata.namespace ?? "") !== (obj.metadata.namespace ?? "")) return "ignore";
  return "adopt";
}

/** `obj` with `owner`'s controller reference added. */
export function adopted<T extends KubeObject>(obj: T, owner: KubeObject): T {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: [...refs, newControllerRef(owner)] } };
}

/** `obj` without any reference to the owner with `ownerUid`. */
export function released<T extends KubeObject>(obj: T, ownerUid: string): T {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
  const { ownerReferences: _, ...rest } = obj.metadata;
  return { ...obj, metadata: refs.length ? { ...rest, ownerReferences: refs } : rest };
}

/**
 * Writes an adoption or a release, checked against the current object in the
 * same transaction: adopting something another controller took meanwhile is
 * a Conflict; adopting or releasing twice changes nothing. A vanished object
 * is NotFound (the caller looks again).
 */
export async function applyClaim(registry: Registry, kind: KindName, obj: KubeObject, owner: KubeObject, claim: "adopt" | "release"): Promise<void> {
  const key = { kind, namespace: obj.metadata.namespace ?? "", name: obj.metadata.name ?? "" };
  const ownerUid = owner.metadata.uid ?? "";
  await registry.store.update(key, (cur) => {
    if (cur.metadata.uid !== obj.metadata.uid) throw new TugError("NotFound", `${kind} ${key.name} was replaced`);
    const ref = controllerOf(cur);
    if (claim === "release") return ref?.uid === ownerUid ? released(cur, ownerUid) : cur;
    if (ref?.uid === ownerUid) return cur;
    if (ref) throw new TugError("Conflict", `${kind} ${key.name} is already controlled by ${ref.kind} ${ref.name}`);
    if (cur.metadata.deletionTimestamp) return cur;
    return adopted(cur, owner);
  });
}
