// Storage keys and continue tokens shared by the store implementations.
// Keys are `kind/namespace/name` ("" namespace for cluster-scoped kinds), so a
// prefix scan lists one kind, or one kind in one namespace, in name order.

import { TugError } from "../errors.ts";
import type { ObjectKey } from "../resources/object.ts";

export function storageKey(key: ObjectKey): string {
  return `${key.kind}/${key.namespace}/${key.name}`;
}

/** The prefix of every key of `kind`, or of `kind` in one namespace. */
export function listPrefix(kind: string, namespace: string | undefined): string {
  return namespace === undefined ? `${kind}/` : `${kind}/${namespace}/`;
}

export function encodeContinue(lastKey: string): string {
  return btoa(JSON.stringify({ k: lastKey }));
}

export function decodeContinue(token: string): string {
  try {
    const v: unknown = JSON.parse(atob(token));
    if (v && typeof v === "object" && typeof (v as { k?: unknown }).k === "string") return (v as { k: string }).k;
  } catch {
    // fall through to the BadRequest below
  }
  throw new TugError("BadRequest", "continue key is not valid");
}
