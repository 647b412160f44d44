// The loop engine every controller runs on (after controller-runtime): a
// reconcile request is only a key; keys are de-duplicated while queued; an
// error means retry with exponential back-off, a TerminalError means never
// retry, and `requeueAfter` means look again later.

export class TerminalError extends Error {
  override name = "TerminalError";
}

export interface ReconcileResult {
  requeueAfter?: number;
}

export type Reconcile = (key: string) => Promise<ReconcileResult | void>;

export interface WorkQueueOptions {
  name: string;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onError?: (key: string, err: unknown) => void;
}

export class WorkQueue {
  private readonly queued = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; handle: ReturnType<typeof setTimeout> }>();
  private running = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly reconcile: Reconcile,
    private readonly opts: WorkQueueOptions,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    this.queued.add(key);
    // Start on a microtask so keys added in the same turn are coalesced.
    if (!this.running) {
      this.running = true;
      queueMicrotask(() => void this.drain());
    }
  }

  /** Adds `key` after `ms`; an earlier pending request for the key wins over a later one. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.handle);
    this.timers.set(key, {
      at,
      handle: setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, ms),
    });
  }

  /** Resolves when nothing is queued or running (timers may still be pending). */
  idle(): Promise<void> {
    if (!this.running && this.queued.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.queued.clear();
    for (const t of this.timers.values()) clearTimeout(t.handle);
    this.timers.clear();
  }

  private async drain(): Promise<void> {
    while (this.queued.size && !this.stopped) {
      const key = this.queued.values().next().value as string;
      this.queued.delete(key);
      try {
        const res = await this.reconcile(key);
        this.failures.delete(key);
        if (res?.requeueAfter !== undefined) this.addAfter(key, res.requeueAfter);
      } catch (err) {
        this.opts.onError?.(key, err);
        if (err instanceof TerminalError) continue;
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        this.addAfter(key, Math.min((this.opts.baseDelayMs ?? 5) * 2 ** (n - 1), this.opts.maxDelayMs ?? 60_000));
      }
    }
    this.running = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
