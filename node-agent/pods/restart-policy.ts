// When an exited container runs again (pure): the pod's restartPolicy and
// kubelet's crash back-off (immediately the first time, then 10 s doubling to
// 5 min; a run that lasted 10 minutes starts the count over).

export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
/** A container that ran this long is healthy again: the back-off starts over. */
export const BACKOFF_RESET_MS = 600_000;

export type RestartPolicy = "Always" | "OnFailure" | "Never";

export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  if (policy === "Always") return true;
  if (policy === "OnFailure") return exitCode !== 0;
  return false;
}

/** How long after the last exit the next start waits, given restarts so far and how long the last run lasted. */
export function crashBackoffMs(restartCount: number, lastRunMs: number): number {
  if (restartCount === 0 || lastRunMs >= BACKOFF_RESET_MS) return 0;
  return Math.min(BACKOFF_BASE_MS * 2 ** (restartCount - 1), BACKOFF_MAX_MS);
}
