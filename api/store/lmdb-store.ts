// The Store on LMDB: objects under `kind/namespace/name`, a retained event log
// keyed by resourceVersion (so watches resume across restarts), and the
// global resourceVersion counter, all written in one transaction.
//
// Writes go through lmdb-js's batched transactions: every write queued in the
// same event turn commits together and is synced once, so concurrent clients
// share an fsync instead of dropping it. A write resolves, and its event
// reaches watchers, only after the commit is flushed to disk.
//
// With a SecretCipher, Secrets are sealed on their way into both the object
// records and the event log and opened on their way out (secret-cipher.ts);
// a `secretKeyCheck` record recognises the key when the store is reopened.

import { open, type Database, type RootDatabase } from "lmdb";
import { rfc3339, systemClock, type Clock } from "../../core/clock.ts";
import { TugError } from "../../core/errors.ts";
import { displayName } from "../../core/resources/kinds.ts";
import { keyOf, type KubeObject, type ObjectKey } from "../../core/resources/object.ts";
import { decodeContinue, encodeContinue, listPrefix, storageKey } from "../../core/store/keys.ts";
import { expired, notFound } from "../../core/store/memory-store.ts";
import { planCreate, planDelete, planUpdate, randomNameSuffix, type WriteEnv } from "../../core/store/object-meta.ts";
import type {
  DeleteOptions,
  DeleteResult,
  ListOptions,
  ListResult,
  Mutation,
  Store,
  StoreEvent,
  Watch,
  WatchOptions,
} from "../../core/store/store.ts";
import { WatchHub } from "../../core/store/watch-hub.ts";
import type { SecretCipher } from "./secret-cipher.ts";

export interface LmdbStoreOptions {
  /** Directory of the database (created when missing). */
  path: string;
  clock?: Clock;
  /** How many events are kept for resuming watches. */
  historyWindow?: number;
  /** Encrypts Secrets at rest; without it they are stored as they come. */
  secretCipher?: SecretCipher;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

const META_RV = "rv";
const META_COMPACTED = "compacted";
const KEY_CHECK = "secretKeyCheck";

export class LmdbStore implements Store {
  private readonly root: RootDatabase;
  private readonly objects: Database<KubeObject, string>;
  private readonly events: Database<StoreEvent, number>;
  private readonly meta: Database<number, string>;
  private readonly cipher: SecretCipher | undefined;
  private readonly hub: WatchHub;
  private readonly clock: Clock;
  private readonly window: number;
  /** Events committed by the write transaction but not yet durable, in rv order. */
  private pending: StoreEvent[] = [];
  private closed = false;

  constructor(opts: LmdbStoreOptions) {
    this.root = open({ path: opts.path, compression: false });
    this.objects = this.root.openDB<KubeObject, string>({ name: "objects", encoding: "json" });
    this.events = this.root.openDB<StoreEvent, number>({ name: "events", encoding: "json" });
    this.meta = this.root.openDB<number, string>({ name: "meta" });
    this.cipher = opts.secretCipher;
    try {
      this.checkSecretKey(opts.path);
    } catch (e) {
      // The key error is what the caller must see; the close only releases the file.
      this.root.close().catch((closeError: unknown) => console.error(`closing ${opts.path} after a Secret key error:`, closeError));
      throw e;
    }
    this.clock = opts.clock ?? systemClock;
    this.window = opts.historyWindow ?? 10_000;
    this.hub = new WatchHub(this.meta.get(META_RV) ?? 0);
  }

  /**
   * Refuses a key other than the one the store's Secrets were sealed with, and
   * a store with sealed Secrets opened without a key. The first open with a
   * key seals the Secrets already stored in clear (records and event log).
   */
  private checkSecretKey(path: string): void {
    const keys = this.root.openDB<string, string>({ name: "secret-key", encoding: "json" });
    const check = keys.get(KEY_CHECK);
    const cipher = this.cipher;
    if (!cipher) {
      if (check !== undefined) throw new Error(`the store in ${path} holds encrypted Secrets: it must be opened with their key (secrets.key)`);
      return;
    }
    if (check !== undefined) {
      if (!cipher.matches(check)) throw new Error(`the Secrets in the store ${path} were encrypted with another key than the one in ${cipher.keyPath}`);
      return;
    }
    this.root.transactionSync(() => {
      for (const { key, value } of this.objects.getRange({ start: "Secret/", end: "Secret/\uffff" })) this.objects.put(key, cipher.seal(value));
      for (const { key, value } of this.events.getRange()) {
        if (value.object.kind !== "Secret") continue;
        this.events.put(key, this.sealedEvent(value));
      }
      keys.put(KEY_CHECK, cipher.keyCheck());
    });
  }

  /** An object as stored (sealed) to an object as the store's callers see it. */
  private opened(obj: KubeObject): KubeObject;
  private opened(obj: KubeObject | undefined): KubeObject | undefined;
  private opened(obj: KubeObject | undefined): KubeObject | undefined {
    return obj && this.cipher ? this.cipher.open(obj) : obj;
  }

  private sealedEvent(ev: StoreEvent): StoreEvent {
    const cipher = this.cipher;
    if (!cipher || ev.object.kind !== "Secret") return ev;
    return { ...ev, object: cipher.seal(ev.object), ...(ev.prev ? { prev: cipher.seal(ev.prev) } : {}) };
  }

  private readObject(key: string): KubeObject | undefined {
    return this.opened(this.objects.get(key));
  }

  private openedEvent(ev: StoreEvent): StoreEvent {
    if (!this.cipher || ev.object.kind !== "Secret") return ev;
    return { ...ev, object: this.opened(ev.object), ...(ev.prev ? { prev: this.opened(ev.prev) } : {}) };
  }

  private env(): WriteEnv {
    return { now: rfc3339(this.clock.now()), uid: () => crypto.randomUUID(), nameSuffix: () => randomNameSuffix() };
  }

  /**
   * Runs `op` inside the batched write transaction. `op` must do every check
   * before its first put, so a refused write leaves nothing behind.
   */
  private async write<T>(op: (rv: number) => { value: T; event?: StoreEvent }): Promise<T> {
    if (this.closed) throw new TugError("ServiceUnavailable", "the store is closed");
    let outcome: Outcome<T> | undefined;
    let eventRV = 0;
    await this.root.transaction(() => {
      try {
        const rv = (this.meta.get(META_RV) ?? 0) + 1;
        const { value, event } = op(rv);
        if (event) {
          this.apply(event);
          eventRV = event.rv;
        }
        outcome = { ok: true, value };
      } catch (error) {
        outcome = { ok: false, error };
      }
    });
    if (eventRV) {
      await this.root.flushed;
      this.publishUpTo(eventRV);
    }
    if (!outcome) throw new TugError("InternalError", "write transaction did not run");
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** Puts one event's effects; runs inside the write transaction. */
  private apply(ev: StoreEvent): void {
    const key = storageKey(keyOf(ev.object));
    const stored = this.sealedEvent(ev);
    if (ev.type === "DELETED") this.objects.remove(key);
    else this.objects.put(key, stored.object);
    this.events.put(ev.rv, stored);
    this.meta.put(META_RV, ev.rv);
    this.pending.push(ev);
    // Trim the event log in steps of a tenth of the window to keep writes small.
    const compacted = this.meta.get(META_COMPACTED) ?? 0;
    if (ev.rv - compacted > this.window + Math.ceil(this.window / 10)) {
      const upTo = ev.rv - this.window;
      for (const k of this.events.getKeys({ start: compacted + 1, end: upTo + 1 })) this.events.remove(k);
      this.meta.put(META_COMPACTED, upTo);
    }
  }

  private publishUpTo(rv: number): void {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.rv <= rv) n++;
    if (n === 0) return;
    const ready = this.pending.slice(0, n);
    this.pending = this.pending.slice(n);
    this.hub.publish(ready);
  }

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    return this.readObject(storageKey(key));
  }

  async list(kind: string, opts: ListOptions = {}): Promise<ListResult> {
    const prefix = listPrefix(kind, opts.namespace);
    const after = opts.continue ? decodeContinue(opts.continue) : undefined;
    const resourceVersion = this.meta.get(META_RV) ?? 0;
    const items: KubeObject[] = [];
    let last: string | undefined;
    for (const { key, value: stored } of this.objects.getRange({ start: after ? after + "\0" : prefix, end: prefix + "\uffff" })) {
      const value = this.opened(stored);
      if (opts.filter && !opts.filter(value)) continue;
      if (opts.limit && items.length === opts.limit) return { items, resourceVersion, continue: encodeContinue(last!) };
      items.push(value);
      last = key;
    }
    return { items, resourceVersion };
  }

  create(obj: KubeObject): Promise<KubeObject> {
    return this.write((rv) => {
      const created = planCreate(obj, rv, this.env());
      if (this.objects.doesExist(storageKey(keyOf(created)))) {
        throw new TugError("AlreadyExists", `${displayName(created.kind, created.metadata.name!)} already exists`, {
          name: created.metadata.name,
          kind: obj.kind,
        });
      }
      return { value: created, event: { type: "ADDED", object: created, rv } };
    });
  }

  update(key: ObjectKey, mutate: Mutation): Promise<KubeObject> {
    return this.write((rv) => {
      const current = this.readObject(storageKey(key));
      if (!current) throw notFound(key);
      // A second decode hands the mutation its own copy, cheaper than structuredClone.
      const plan = planUpdate(current, mutate(this.readObject(storageKey(key))!), rv, displayName(key.kind, key.name));
      if (plan.action === "unchanged") return { value: current };
      const type = plan.action === "remove" ? "DELETED" : "MODIFIED";
      return { value: plan.object, event: { type, object: plan.object, prev: current, rv } };
    });
  }

  delete(key: ObjectKey, opts: DeleteOptions = {}): Promise<DeleteResult> {
    return this.write((rv) => {
      const current = this.readObject(storageKey(key));
      if (!current) throw notFound(key);
      const plan = planDelete(current, opts, rv, this.env(), displayName(key.kind, key.name));
      if (plan.action === "unchanged") return { value: { object: current, removed: false } };
      const removed = plan.action === "remove";
      const type = removed ? "DELETED" : "MODIFIED";
      return { value: { object: plan.object, removed }, event: { type, object: plan.object, prev: current, rv } };
    });
  }

  watch(opts: WatchOptions, onEvent: (ev: StoreEvent) => void): Watch {
    const compacted = this.meta.get(META_COMPACTED) ?? 0;
    if (opts.fromRV !== undefined && opts.fromRV < compacted) throw expired(opts.fromRV, compacted);
    return this.hub.subscribe(opts, onEvent, (from, to) => [...this.events.getRange({ start: from + 1, end: to + 1 }).map((e) => this.openedEvent(e.value))]);
  }

  currentRV(): number {
    return this.hub.currentRV;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.stopAll();
    await this.root.flushed;
    await this.root.close();
  }
}
