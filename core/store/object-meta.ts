// The server-managed metadata rules every Store applies, as pure plans:
// what a create, update or delete writes, given the current object, the next
// resourceVersion and the environment (time, ids). Both store
// implementations call these so they cannot drift apart.

import { rfc3339 } from "../clock.ts";
import { TugError } from "../errors.ts";
import type { KubeObject } from "../resources/object.ts";
import { deepEqual } from "../deep-equal.ts";
import type { DeleteOptions } from "./store.ts";

export interface WriteEnv {
  /** RFC 3339 timestamp of this write. */
  now: string;
  uid(): string;
  /** Random suffix for generateName (5 characters, like Kubernetes). */
  nameSuffix(): string;
}

export type UpdatePlan =
  | { action: "unchanged"; object: KubeObject }
  | { action: "write"; object: KubeObject }
  | { action: "remove"; object: KubeObject };

export type DeletePlan = { action: "remove"; object: KubeObject } | { action: "write" | "unchanged"; object: KubeObject };

const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export function randomNameSuffix(random: () => number = Math.random): string {
  let s = "";
  for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[Math.floor(random() * SUFFIX_ALPHABET.length)];
  return s;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Fields other than these are the object's desired state; a change there bumps generation. */
const NON_SPEC_FIELDS = new Set(["apiVersion", "kind", "metadata", "status"]);

function specChanged(a: KubeObject, b: KubeObject): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (!NON_SPEC_FIELDS.has(k) && !deepEqual(a[k], b[k])) return true;
  }
  return false;
}

/** The caller hands `obj` over: only its metadata is copied (a deep clone per create costs a tenth of the write path). */
export function planCreate(obj: KubeObject, rv: number, env: WriteEnv): KubeObject {
  const next = { ...obj, metadata: { ...obj.metadata } };
  const meta = next.metadata;
  if (!meta.name) {
    if (!meta.generateName) {
      throw new TugError("Invalid", "name or generateName is required", {
        causes: [{ reason: "FieldValueRequired", message: "name or generateName is required", field: "metadata.name" }],
      });
    }
    meta.name = meta.generateName + env.nameSuffix();
  }
  // The registry may have settled the uid already (a Job's selector is built from it).
  if (!meta.uid) meta.uid = env.uid();
  meta.resourceVersion = String(rv);
  meta.creationTimestamp = env.now;
  meta.generation = 1;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  return next;
}

function checkResourceVersion(current: KubeObject, wanted: string | undefined, name: string): void {
  if (wanted !== undefined && wanted !== "" && wanted !== current.metadata.resourceVersion) {
    throw new TugError(
      "Conflict",
      `Operation cannot be fulfilled on ${name}: the object has been modified; please apply your changes to the latest version and try again`,
    );
  }
}

/**
 * `desired` is what the caller wants stored; server-managed fields are taken
 * from `current`. `displayName` names the object in a Conflict message.
 */
export function planUpdate(current: KubeObject, desired: KubeObject, rv: number, displayName: string): UpdatePlan {
  checkResourceVersion(current, desired.metadata?.resourceVersion, displayName);
  // The store owns what the mutation returned; only metadata is rewritten here.
  const next: KubeObject = { ...desired, metadata: { ...(desired.metadata ?? {}) } };
  const cm = current.metadata;
  next.apiVersion = current.apiVersion;
  next.kind = current.kind;
  next.metadata = {
    ...next.metadata,
    name: cm.name,
    uid: cm.uid,
    creationTimestamp: cm.creationTimestamp,
    resourceVersion: cm.resourceVersion,
    generation: cm.generation,
  };
  if (cm.namespace !== undefined) next.metadata.namespace = cm.namespace;
  else delete next.metadata.namespace;
  if (cm.deletionTimestamp) {
    next.metadata.deletionTimestamp = cm.deletionTimestamp;
    next.metadata.deletionGracePeriodSeconds = cm.deletionGracePeriodSeconds;
  } else {
    delete next.metadata.deletionTimestamp;
    delete next.metadata.deletionGracePeriodSeconds;
  }
  if (next.metadata.generateName === undefined) delete next.metadata.generateName;
  if (next.metadata.finalizers?.length === 0) delete next.metadata.finalizers;

  // The last finalizer gone removes the object, unless a graceful deletion still waits for its node.
  if (cm.deletionTimestamp && !next.metadata.finalizers?.length && !(cm.deletionGracePeriodSeconds ?? 0)) {
    next.metadata.resourceVersion = String(rv);
    return { action: "remove", object: next };
  }
  if (deepEqual(next, current)) return { action: "unchanged", object: current };
  if (specChanged(current, next)) next.metadata.generation = (cm.generation ?? 0) + 1;
  next.metadata.resourceVersion = String(rv);
  return { action: "write", object: next };
}

export function planDelete(current: KubeObject, opts: DeleteOptions, rv: number, env: WriteEnv, displayName: string): DeletePlan {
  const pre = opts.preconditions;
  if (pre?.uid && pre.uid !== current.metadata.uid) {
    throw new TugError(
      "Conflict",
      `Operation cannot be fulfilled on ${displayName}: Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
    );
  }
  if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
    throw new TugError(
      "Conflict",
      `Operation cannot be fulfilled on ${displayName}: Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
    );
  }
  const finalizers = [...(current.metadata.finalizers ?? [])];
  for (const f of opts.addFinalizers ?? []) if (!finalizers.includes(f)) finalizers.push(f);

  const grace = opts.gracePeriodSeconds ?? 0;
  if (grace > 0) {
    const pending = current.metadata.deletionTimestamp ? (current.metadata.deletionGracePeriodSeconds ?? 0) : undefined;
    // Already marked with a grace no longer than this one: nothing changes (a grace of 0 means finalizers only).
    if (pending !== undefined && pending <= grace && finalizers.length === (current.metadata.finalizers ?? []).length) {
      return { action: "unchanged", object: current };
    }
    const object = clone(current);
    if (finalizers.length) object.metadata.finalizers = finalizers;
    if (pending === undefined || (pending > 0 && grace < pending)) {
      object.metadata.deletionTimestamp = rfc3339(Date.parse(env.now) + grace * 1000);
      object.metadata.deletionGracePeriodSeconds = grace;
    }
    if (pending === undefined) object.metadata.generation = (object.metadata.generation ?? 0) + 1;
    object.metadata.resourceVersion = String(rv);
    return { action: "write", object };
  }

  if (finalizers.length === 0) {
    const object = clone(current);
    object.metadata.resourceVersion = String(rv);
    return { action: "remove", object };
  }
  const graceful = !!current.metadata.deletionTimestamp && (current.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  if (current.metadata.deletionTimestamp && !graceful && finalizers.length === (current.metadata.finalizers ?? []).length) {
    return { action: "unchanged", object: current };
  }
  const object = clone(current);
  object.metadata.finalizers = finalizers;
  // Marked now (or a graceful wait cut short): the finalizers alone hold it from here.
  if (!object.metadata.deletionTimestamp || graceful) {
    if (!object.metadata.deletionTimestamp) object.metadata.generation = (object.metadata.generation ?? 0) + 1;
    object.metadata.deletionTimestamp = env.now;
    object.metadata.deletionGracePeriodSeconds = 0;
  }
  object.metadata.resourceVersion = String(rv);
  return { action: "write", object };
}
