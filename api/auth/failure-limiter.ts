// Slows down guessing: counts failed authentications per remote address and,
// after too many within a window, refuses that address's credentials for a
// back-off that doubles on each repeat (capped). State is per address only,
// so one noisy address never locks out another, and it is forgotten once the
// address has been quiet for a while (memory stays bounded under a scan).

export interface FailureLimits {
  /** Failures within `windowMs` that start a back-off (default 5). */
  maxFailures?: number;
  windowMs?: number; // default 10 s
  /** First back-off; each further one doubles it (default 5 s). */
  backoffMs?: number;
  maxBackoffMs?: number; // default 60 s
  /** Quiet time after which an address's back-off level is forgotten (default 10 min). */
  forgetAfterMs?: number;
}

interface AddressState {
  /** Times of failures in the current window, oldest first. */
  failures: number[];
  blockedUntil: number;
  /** Back-offs served so far; the next lasts backoffMs * 2^strikes. */
  strikes: number;
  lastFailure: number;
}

export class FailureLimiter {
  private readonly state = new Map<string, AddressState>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly forgetAfterMs: number;
  private lastSweep = 0;

  constructor(limits: FailureLimits = {}) {
    this.max = limits.maxFailures ?? 5;
    this.windowMs = limits.windowMs ?? 10_000;
    this.backoffMs = limits.backoffMs ?? 5_000;
    this.maxBackoffMs = limits.maxBackoffMs ?? 60_000;
    this.forgetAfterMs = limits.forgetAfterMs ?? 600_000;
  }

  /** Milliseconds the address must still wait, or 0 when it may try. */
  blockedFor(address: string, now: number): number {
    const s = this.state.get(address);
    return s && s.blockedUntil > now ? s.blockedUntil - now : 0;
  }

  /** Records a failure; returns the back-off it started (ms), or 0. */
  fail(address: string, now: number): number {
    this.sweep(now);
    let s = this.state.get(address);
    if (!s) {
      s = { failures: [], blockedUntil: 0, strikes: 0, lastFailure: now };
      this.state.set(address, s);
    }
    s.lastFailure = now;
    s.failures = s.failures.filter((t) => now - t < this.windowMs);
    s.failures.push(now);
    if (s.failures.length < this.max) return 0;
    const backoff = Math.min(this.backoffMs * 2 ** s.strikes, this.maxBackoffMs);
    s.strikes++;
    s.failures = [];
    s.blockedUntil = now + backoff;
    return backoff;
  }

  /** How many addresses are remembered (for tests and metrics). */
  get size(): number {
    return this.state.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [addr, s] of this.state) {
      // Without a back-off served, old failures no longer count once the window has passed.
      const keep = s.strikes === 0 ? this.windowMs : this.forgetAfterMs;
      if (s.blockedUntil <= now && now - s.lastFailure >= keep) this.state.delete(addr);
    }
  }
}
