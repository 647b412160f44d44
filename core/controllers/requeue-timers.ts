// "Look at this key again at clock time T", keeping the earliest time asked
// for per key and re-arming waits longer than setTimeout can hold (a CronJob's
// next run may be months away). The Job and CronJob controllers arm these and
// add the key to their WorkQueue when one fires.

import type { Clock } from "../clock.ts";

/** setTimeout fires at once beyond 2^31-1 ms; longer waits re-arm on firing. */
const MAX_DELAY_MS = 24 * 60 * 60 * 1000;

export class RequeueTimers {
  private readonly timers = new Map<string, { at: number; handle: ReturnType<typeof setTimeout> }>();
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly fire: (key: string) => void,
  ) {}

  /** Calls fire(key) at `atMs` (clock time) unless an earlier call is already armed. */
  at(key: string, atMs: number): void {
    if (this.stopped) return;
    const existing = this.timers.get(key);
    if (existing && existing.at <= atMs) return;
    if (existing) clearTimeout(existing.handle);
    const delay = Math.min(Math.max(0, atMs - this.clock.now()), MAX_DELAY_MS);
    const handle = setTimeout(() => {
      this.timers.delete(key);
      this.fire(key);
    }, delay);
    this.timers.set(key, { at: atMs, handle });
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t.handle);
    this.timers.delete(key);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.handle);
    this.timers.clear();
  }
}
