// Fan-out of committed store events to watchers, in resourceVersion order,
// with Kubernetes' selector semantics: an object entering a watcher's filter
// arrives as ADDED, one leaving it as DELETED. Stores call publish() after a
// write is durable and supply their retained history for resumed watches.

import type { KubeObject } from "../resources/object.ts";
import type { StoreEvent, Watch, WatchOptions } from "./store.ts";

interface Subscriber {
  opts: WatchOptions;
  onEvent: (ev: StoreEvent) => void;
  stopped: boolean;
}

function inScope(opts: WatchOptions, obj: KubeObject): boolean {
  if (opts.kind !== undefined && obj.kind !== opts.kind) return false;
  if (opts.namespace !== undefined && (obj.metadata.namespace ?? "") !== opts.namespace) return false;
  return true;
}

/** What this watcher should see of `ev`, or undefined for nothing. */
export function viewOf(opts: WatchOptions, ev: StoreEvent): StoreEvent | undefined {
  if (!inScope(opts, ev.object)) return undefined;
  const filter = opts.filter;
  if (!filter) return ev;
  const now = filter(ev.object);
  if (ev.type !== "MODIFIED") return now ? ev : undefined;
  const before = ev.prev ? filter(ev.prev) : now;
  if (now && before) return ev;
  if (now) return { type: "ADDED", object: ev.object, rv: ev.rv };
  if (before) return { type: "DELETED", object: ev.object, rv: ev.rv };
  return undefined;
}

export class WatchHub {
  private readonly subscribers = new Set<Subscriber>();
  private lastRV: number;

  constructor(initialRV: number) {
    this.lastRV = initialRV;
  }

  /** The newest resourceVersion delivered to watchers. */
  get currentRV(): number {
    return this.lastRV;
  }

  get watcherCount(): number {
    return this.subscribers.size;
  }

  /** Delivers events (ascending rv, all newer than any published before). */
  publish(events: readonly StoreEvent[]): void {
    for (const ev of events) {
      this.lastRV = ev.rv;
      for (const sub of this.subscribers) this.deliver(sub, ev);
    }
  }

  /**
   * Registers a watcher. `history(fromRV, toRV)` returns the retained events
   * with fromRV < rv <= toRV; it is replayed before live events so nothing is
   * missed or seen twice.
   */
  subscribe(opts: WatchOptions, onEvent: (ev: StoreEvent) => void, history: (fromRV: number, toRV: number) => StoreEvent[]): Watch {
    const sub: Subscriber = { opts, onEvent, stopped: false };
    if (opts.fromRV !== undefined && opts.fromRV < this.lastRV) {
      for (const ev of history(opts.fromRV, this.lastRV)) {
        this.deliver(sub, ev);
        if (sub.stopped) break;
      }
    }
    if (!sub.stopped) this.subscribers.add(sub);
    return {
      stop: () => {
        sub.stopped = true;
        this.subscribers.delete(sub);
      },
    };
  }

  stopAll(): void {
    for (const sub of this.subscribers) sub.stopped = true;
    this.subscribers.clear();
  }

  private deliver(sub: Subscriber, ev: StoreEvent): void {
    // A watch from a list's resourceVersion may start ahead of what was published.
    if (sub.stopped || (sub.opts.fromRV !== undefined && ev.rv <= sub.opts.fromRV)) return;
    const view = viewOf(sub.opts, ev);
    if (!view) return;
    try {
      sub.onEvent(view);
    } catch (err) {
      // A broken watcher must not starve the others: stop it and report.
      sub.stopped = true;
      this.subscribers.delete(sub);
      reportError(err);
    }
  }
}
