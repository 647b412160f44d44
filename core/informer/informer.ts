// An in-process informer: lists, then follows the store's watch into a cache
// that controllers read instead of the store, with secondary indexes and
// change handlers. Events are applied by resourceVersion, so the watch can be
// opened before the list and nothing slips between them.

import type { KubeObject } from "../resources/object.ts";
import { KIND_NAMES } from "../resources/kinds.ts";
import type { Store, StoreEvent, Watch } from "../store/store.ts";
import { storageKey } from "../store/keys.ts";
import { keyOf } from "../resources/object.ts";

export interface InformerHandlers {
  add?(obj: KubeObject): void;
  update?(obj: KubeObject, old: KubeObject): void;
  delete?(obj: KubeObject): void;
}

export type IndexFn = (obj: KubeObject) => string[];

export class Informer {
  private readonly cache = new Map<string, KubeObject>();
  /** The same objects by kind, so listing one kind does not scan the others. */
  private readonly byKind = new Map<string, Map<string, KubeObject>>();
  private readonly indexFns = new Map<string, IndexFn>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private readonly handlers: InformerHandlers[] = [];
  private watch: Watch | undefined;

  /** `kinds`: what to follow; every kind when omitted. */
  constructor(
    private readonly store: Store,
    private readonly kinds: readonly string[] = KIND_NAMES,
  ) {}

  /** Adds a secondary index; adding a name that exists keeps the first (indexes are shared). */
  addIndex(name: string, fn: IndexFn): void {
    if (this.indexFns.has(name)) return;
    this.indexFns.set(name, fn);
    this.indexes.set(name, new Map());
  }

  on(h: InformerHandlers): void {
    this.handlers.push(h);
  }

  async start(): Promise<void> {
    const buffered: StoreEvent[] = [];
    let live = false;
    const follow = new Set(this.kinds);
    this.watch = this.store.watch({}, (ev) => {
      if (!follow.has(ev.object.kind)) return;
      if (live) this.apply(ev);
      else buffered.push(ev);
    });
    for (const kind of this.kinds) {
      for (const obj of (await this.store.list(kind)).items) this.apply({ type: "ADDED", object: obj, rv: Number(obj.metadata.resourceVersion) });
    }
    for (const ev of buffered) this.apply(ev);
    live = true;
  }

  stop(): void {
    this.watch?.stop();
  }

  get(kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.cache.get(storageKey({ kind, namespace, name }));
  }

  list(kind?: string, namespace?: string): KubeObject[] {
    const source = kind === undefined ? this.cache.values() : (this.byKind.get(kind)?.values() ?? []);
    const out: KubeObject[] = [];
    for (const o of source) {
      if (namespace === undefined || (o.metadata.namespace ?? "") === namespace) out.push(o);
    }
    return out;
  }

  byIndex(index: string, value: string): KubeObject[] {
    const keys = this.indexes.get(index)?.get(value);
    return keys ? [...keys].map((k) => this.cache.get(k)!).filter(Boolean) : [];
  }

  private apply(ev: StoreEvent): void {
    const k = storageKey(keyOf(ev.object));
    const old = this.cache.get(k);
    // Already seen this version or a newer one (the list and the buffered watch overlap).
    if (old && Number(old.metadata.resourceVersion) >= ev.rv) return;
    if (!old && ev.type === "DELETED") return;
    if (old) this.unindex(k, old);
    if (ev.type === "DELETED") {
      this.cache.delete(k);
      this.byKind.get(ev.object.kind)?.delete(k);
      for (const h of this.handlers) h.delete?.(ev.object);
      return;
    }
    this.cache.set(k, ev.object);
    let kindMap = this.byKind.get(ev.object.kind);
    if (!kindMap) this.byKind.set(ev.object.kind, (kindMap = new Map()));
    kindMap.set(k, ev.object);
    this.index(k, ev.object);
    for (const h of this.handlers) {
      if (old) h.update?.(ev.object, old);
      else h.add?.(ev.object);
    }
  }

  private index(k: string, obj: KubeObject): void {
    for (const [name, fn] of this.indexFns) {
      const idx = this.indexes.get(name)!;
      for (const v of fn(obj)) {
        let set = idx.get(v);
        if (!set) idx.set(v, (set = new Set()));
        set.add(k);
      }
    }
  }

  private unindex(k: string, obj: KubeObject): void {
    for (const [name, fn] of this.indexFns) {
      const idx = this.indexes.get(name)!;
      for (const v of fn(obj)) {
        const set = idx.get(v);
        set?.delete(k);
        if (set?.size === 0) idx.delete(v);
      }
    }
  }
}
