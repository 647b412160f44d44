// The Store contract: every implementation (in-memory here, LMDB in
// api/store/) runs the same conformance suite (test/store/conformance.ts).
//
// The store owns the server-managed metadata: uid, resourceVersion (one global
// counter bumped in the write transaction), generation, creationTimestamp,
// deletionTimestamp and finalizer-driven removal. Kind-specific rules
// (validation, defaults, status vs. spec) belong to the caller.

import type { KubeObject, ObjectKey } from "../resources/object.ts";

export type ObjectFilter = (obj: KubeObject) => boolean;

export interface ListOptions {
  /** Only this namespace; undefined lists every namespace. */
  namespace?: string;
  filter?: ObjectFilter;
  /** Page size; 0 or undefined returns everything. */
  limit?: number;
  /** Opaque token from a previous page's `continue`. */
  continue?: string;
}

export interface ListResult {
  items: KubeObject[];
  /** The store's resourceVersion this list reflects; a watch from it misses nothing. */
  resourceVersion: number;
  /** Set when more items follow. */
  continue?: string;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  type: WatchEventType;
  /** The object after the change; for DELETED, its last state with the deletion's resourceVersion. */
  object: KubeObject;
  /** The object before the change, for MODIFIED (selector transitions need it). */
  prev?: KubeObject;
  rv: number;
}

export interface WatchOptions {
  /** Only this kind; undefined watches every kind. */
  kind?: string;
  namespace?: string;
  /** Replay events with rv > fromRV first. Undefined: live events only. */
  fromRV?: number;
  /**
   * With a filter, an object that starts matching arrives as ADDED and one that
   * stops matching as DELETED, as Kubernetes watches do.
   */
  filter?: ObjectFilter;
}

export interface Watch {
  stop(): void;
}

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Finalizers to add before deleting (Foreground: foregroundDeletion, Orphan: orphan). */
  addFinalizers?: string[];
  /**
   * Graceful deletion (Pods): above 0 the object is kept, marked with
   * deletionTimestamp = now + grace and deletionGracePeriodSeconds, until a
   * delete with 0 (the node saying its containers are gone) removes it. A
   * shorter grace on a marked object shortens the wait; a longer one changes nothing.
   */
  gracePeriodSeconds?: number;
}

export interface DeleteResult {
  /** The removed object, or the object now marked with deletionTimestamp. */
  object: KubeObject;
  /** False when finalizers keep the object (it was only marked). */
  removed: boolean;
}

/**
 * Mutation applied atomically inside the write transaction to the current
 * object. It returns the desired object; if that object carries a
 * metadata.resourceVersion different from the current one, the update fails
 * with Conflict. It may throw a TugError to refuse the change.
 */
export type Mutation = (current: KubeObject) => KubeObject;

export interface Store {
  get(key: ObjectKey): Promise<KubeObject | undefined>;
  list(kind: string, opts?: ListOptions): Promise<ListResult>;
  /**
   * Fails with AlreadyExists. Fills name from generateName. Durable when
   * resolved. The store takes `obj` over: the caller must not change it after.
   */
  create(obj: KubeObject): Promise<KubeObject>;
  /**
   * Fails with NotFound or Conflict. When the mutation changes nothing the
   * current object comes back and nothing is written. Removing the last
   * finalizer of an object marked for deletion removes it.
   */
  update(key: ObjectKey, mutate: Mutation): Promise<KubeObject>;
  /** Fails with NotFound or Conflict (preconditions). */
  delete(key: ObjectKey, opts?: DeleteOptions): Promise<DeleteResult>;
  /**
   * Calls onEvent for each event in resourceVersion order. Throws Expired
   * (410) when fromRV is older than the retained window.
   */
  watch(opts: WatchOptions, onEvent: (ev: StoreEvent) => void): Watch;
  /** The latest resourceVersion that watchers have seen. */
  currentRV(): number;
  close(): Promise<void>;
}
