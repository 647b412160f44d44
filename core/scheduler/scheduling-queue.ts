// The scheduling queue (after kube-scheduler's PriorityQueue): pending Pods
// waiting for a decision, highest spec.priority first, then oldest first.
// A Pod that fit nowhere is *parked* until something changes in the cluster
// (moveAllToActive); a Pod whose attempt failed with an error is retried
// after a back-off. Both wait at least the Pod's back-off (doubling per
// attempt, from initialBackoffMs up to maxBackoffMs) since its last attempt,
// so a busy cluster cannot spin on a Pod that does not fit.

import type { Clock } from "../clock.ts";
import type { KubeObject } from "../resources/object.ts";

export interface QueuedPod {
  readonly key: string;
  readonly priority: number;
  readonly createdMs: number;
  /** Arrival order, the last tie-breaker. */
  readonly seq: number;
}

export interface SchedulingQueueOptions {
  clock: Clock;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Called when a Pod becomes ready to pop, so the scheduling loop wakes up. */
  onActive: () => void;
}

/** Highest priority first, then the oldest, then first come. */
export function comparePods(a: QueuedPod, b: QueuedPod): number {
  return b.priority - a.priority || a.createdMs - b.createdMs || a.seq - b.seq;
}

interface Attempts {
  count: number;
  lastMs: number;
}

export class SchedulingQueue {
  private readonly heap: QueuedPod[] = [];
  /** The live heap entry of each active key; other heap entries for the key are stale. */
  private readonly active = new Map<string, QueuedPod>();
  private readonly parked = new Map<string, QueuedPod>();
  private readonly waiting = new Map<string, { entry: QueuedPod; timer: ReturnType<typeof setTimeout> }>();
  private readonly attempts = new Map<string, Attempts>();
  private seq = 0;
  private stopped = false;

  constructor(private readonly opts: SchedulingQueueOptions) {}

  get activeCount(): number {
    return this.active.size;
  }

  get parkedCount(): number {
    return this.parked.size;
  }

  has(key: string): boolean {
    return this.active.has(key) || this.parked.has(key) || this.waiting.has(key);
  }

  /** A new or changed pending Pod: it becomes active at once (a change may make it fit). */
  add(pod: KubeObject): void {
    const key = `${pod.metadata.namespace ?? ""}/${pod.metadata.name ?? ""}`;
    if (this.active.has(key)) return;
    const known = this.parked.get(key) ?? this.waiting.get(key)?.entry;
    this.unpark(key);
    const created = Date.parse(pod.metadata.creationTimestamp ?? "");
    const priority = (pod.spec as { priority?: number } | undefined)?.priority ?? 0;
    this.push(known ?? { key, priority, createdMs: Number.isFinite(created) ? created : 0, seq: this.seq++ });
  }

  pop(): QueuedPod | undefined {
    while (this.heap.length) {
      const top = this.heap[0]!;
      const last = this.heap.pop()!;
      if (this.heap.length) {
        this.heap[0] = last;
        this.siftDown(0);
      }
      if (this.active.get(top.key) !== top) continue;
      this.active.delete(top.key);
      return top;
    }
    return undefined;
  }

  /** The Pod fit nowhere: keep it until moveAllToActive(). */
  markUnschedulable(entry: QueuedPod): void {
    if (this.stopped || this.has(entry.key)) return;
    this.countAttempt(entry.key);
    this.parked.set(entry.key, entry);
  }

  /** The attempt failed with an error: retry after the back-off. */
  retryAfterBackoff(entry: QueuedPod): void {
    if (this.stopped || this.has(entry.key)) return;
    this.countAttempt(entry.key);
    this.wait(entry);
  }

  /** The cluster changed: every parked Pod is tried again once its back-off has passed. */
  moveAllToActive(): void {
    const entries = [...this.parked.values()];
    this.parked.clear();
    for (const e of entries) this.wait(e);
  }

  /** The Pod is gone, bound, or no longer ours. */
  delete(key: string): void {
    this.active.delete(key);
    this.unpark(key);
    this.attempts.delete(key);
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    this.parked.clear();
    this.active.clear();
    this.heap.length = 0;
  }

  /** The back-off due after `count` failed attempts. */
  backoffMs(count: number): number {
    if (count <= 0) return 0;
    return Math.min(this.opts.initialBackoffMs * 2 ** (count - 1), this.opts.maxBackoffMs);
  }

  private countAttempt(key: string): void {
    const a = this.attempts.get(key);
    const now = this.opts.clock.now();
    if (a) {
      a.count++;
      a.lastMs = now;
    } else this.attempts.set(key, { count: 1, lastMs: now });
  }

  private wait(entry: QueuedPod): void {
    const a = this.attempts.get(entry.key);
    const remaining = a ? a.lastMs + this.backoffMs(a.count) - this.opts.clock.now() : 0;
    if (remaining <= 0) return this.push(entry);
    if (this.waiting.has(entry.key)) return;
    const timer = setTimeout(() => {
      this.waiting.delete(entry.key);
      this.push(entry);
    }, remaining);
    this.waiting.set(entry.key, { entry, timer });
  }

  private unpark(key: string): void {
    this.parked.delete(key);
    const w = this.waiting.get(key);
    if (w) {
      clearTimeout(w.timer);
      this.waiting.delete(key);
    }
  }

  private push(entry: QueuedPod): void {
    if (this.stopped) return;
    this.active.set(entry.key, entry);
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
    this.opts.onActive();
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const x = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (comparePods(x, h[p]!) >= 0) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = x;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const x = h[i]!;
    const n = h.length;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && comparePods(h[c + 1]!, h[c]!) < 0) c++;
      if (comparePods(h[c]!, x) >= 0) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = x;
  }
}
