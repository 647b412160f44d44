// An in-memory Store for unit tests of controllers and the scheduler. It
// follows the same contract (and conformance suite) as the LMDB store.

import { systemClock, rfc3339, type Clock } from "../clock.ts";
import { TugError } from "../errors.ts";
import { displayName } from "../resources/kinds.ts";
import type { KubeObject, ObjectKey } from "../resources/object.ts";
import { keyOf } from "../resources/object.ts";
import { planCreate, planDelete, planUpdate, randomNameSuffix, type WriteEnv } from "./object-meta.ts";
import type { DeleteOptions, DeleteResult, ListOptions, ListResult, Mutation, Store, StoreEvent, Watch, WatchOptions } from "./store.ts";
import { WatchHub } from "./watch-hub.ts";
import { decodeContinue, encodeContinue, listPrefix, storageKey } from "./keys.ts";

export interface MemoryStoreOptions {
  clock?: Clock;
  /** How many events are kept for resuming watches. */
  historyWindow?: number;
}

export class MemoryStore implements Store {
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: StoreEvent[] = [];
  private readonly hub = new WatchHub(0);
  private readonly clock: Clock;
  private readonly window: number;
  private rv = 0;
  private compactedRV = 0;

  constructor(opts: MemoryStoreOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.window = opts.historyWindow ?? 10_000;
  }

  private env(): WriteEnv {
    return { now: rfc3339(this.clock.now()), uid: () => crypto.randomUUID(), nameSuffix: () => randomNameSuffix() };
  }

  private commit(ev: StoreEvent): void {
    const k = storageKey(keyOf(ev.object));
    if (ev.type === "DELETED") this.objects.delete(k);
    else this.objects.set(k, ev.object);
    this.history.push(ev);
    while (this.history.length > this.window) this.compactedRV = this.history.shift()!.rv;
    this.hub.publish([ev]);
  }

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    const obj = this.objects.get(storageKey(key));
    return obj && structuredClone(obj);
  }

  async list(kind: string, opts: ListOptions = {}): Promise<ListResult> {
    const prefix = listPrefix(kind, opts.namespace);
    const after = opts.continue ? decodeContinue(opts.continue) : undefined;
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && (after === undefined || k > after)).sort();
    const items: KubeObject[] = [];
    let last: string | undefined;
    for (const k of keys) {
      const obj = this.objects.get(k)!;
      if (opts.filter && !opts.filter(obj)) continue;
      if (opts.limit && items.length === opts.limit) {
        return { items, resourceVersion: this.rv, continue: encodeContinue(last!) };
      }
      items.push(structuredClone(obj));
      last = k;
    }
    return { items, resourceVersion: this.rv };
  }

  async create(obj: KubeObject): Promise<KubeObject> {
    const created = planCreate(structuredClone(obj), this.rv + 1, this.env());
    if (this.objects.has(storageKey(keyOf(created)))) {
      throw new TugError("AlreadyExists", `${displayName(created.kind, created.metadata.name!)} already exists`, {
        name: created.metadata.name,
        kind: obj.kind,
      });
    }
    this.rv++;
    this.commit({ type: "ADDED", object: created, rv: this.rv });
    return structuredClone(created);
  }

  async update(key: ObjectKey, mutate: Mutation): Promise<KubeObject> {
    const current = this.objects.get(storageKey(key));
    if (!current) throw notFound(key);
    const plan = planUpdate(current, mutate(structuredClone(current)), this.rv + 1, displayName(key.kind, key.name));
    if (plan.action === "unchanged") return structuredClone(current);
    this.rv++;
    this.commit({ type: plan.action === "remove" ? "DELETED" : "MODIFIED", object: plan.object, prev: current, rv: this.rv });
    return structuredClone(plan.object);
  }

  async delete(key: ObjectKey, opts: DeleteOptions = {}): Promise<DeleteResult> {
    const current = this.objects.get(storageKey(key));
    if (!current) throw notFound(key);
    const plan = planDelete(current, opts, this.rv + 1, this.env(), displayName(key.kind, key.name));
    if (plan.action === "unchanged") return { object: structuredClone(current), removed: false };
    this.rv++;
    const removed = plan.action === "remove";
    this.commit({ type: removed ? "DELETED" : "MODIFIED", object: plan.object, prev: current, rv: this.rv });
    return { object: structuredClone(plan.object), removed };
  }

  watch(opts: WatchOptions, onEvent: (ev: StoreEvent) => void): Watch {
    if (opts.fromRV !== undefined && opts.fromRV < this.compactedRV) throw expired(opts.fromRV, this.compactedRV);
    return this.hub.subscribe(opts, onEvent, (from, to) => this.history.filter((e) => e.rv > from && e.rv <= to));
  }

  currentRV(): number {
    return this.hub.currentRV;
  }

  async close(): Promise<void> {
    this.hub.stopAll();
  }
}

export function notFound(key: ObjectKey): TugError {
  return new TugError("NotFound", `${displayName(key.kind, key.name)} not found`, { name: key.name, kind: key.kind });
}

export function expired(fromRV: number, oldest: number): TugError {
  return new TugError("Expired", `too old resource version: ${fromRV} (${oldest + 1})`);
}
