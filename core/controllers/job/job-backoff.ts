// The delay before a Job replaces failed pods (Kubernetes: 10 s doubling per
// consecutive failure, at most 6 min). The record of consecutive failures is
// kept in the controller's memory, as Kubernetes does; a restart forgets it.

export interface BackoffRecord {
  /** Pod failures counted since the last success. */
  failures: number;
  /** When the last of them was counted, in ms. */
  lastFailureMs?: number;
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_POD_FAILURE_BACKOFF: BackoffPolicy = { baseMs: 10_000, maxMs: 360_000 };

/** The record after counting `succeeded` and `failed` newly finished pods at `now`. */
export function nextBackoffRecord(prev: BackoffRecord | undefined, succeeded: number, failed: number, now: number): BackoffRecord {
  // Finish order within one batch is unknown; a success in it resets the count before its failures.
  const failures = (succeeded > 0 ? 0 : (prev?.failures ?? 0)) + failed;
  const lastFailureMs = failed > 0 ? now : prev?.lastFailureMs;
  return lastFailureMs === undefined ? { failures } : { failures, lastFailureMs };
}

/** When new pods may be created again (ms); at or before `now` means at once. */
export function backoffUntil(record: BackoffRecord | undefined, policy: BackoffPolicy): number {
  if (!record || record.failures <= 0 || record.lastFailureMs === undefined) return 0;
  const delay = Math.min(policy.baseMs * 2 ** (record.failures - 1), policy.maxMs);
  return record.lastFailureMs + delay;
}
