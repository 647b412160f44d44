// successfulJobsHistoryLimit / failedJobsHistoryLimit: which finished Jobs of
// a CronJob to delete, oldest first by start time (then name), as Kubernetes'
// removeOldestJobs does.

import type { Job } from "../../resources/batch.ts";
import { isJobFinished, isJobSucceeded } from "../job/job-conditions.ts";

function startMs(job: Job): number {
  const t = Date.parse(job.status.startTime ?? "");
  // Jobs that never started sort after those that did.
  return Number.isFinite(t) ? t : Number.POSITIVE_INFINITY;
}

function oldestBeyond(jobs: Job[], limit: number): Job[] {
  const sorted = [...jobs].sort((a, b) => startMs(a) - startMs(b) || (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "", "en", { numeric: true }));
  return sorted.slice(0, Math.max(0, sorted.length - Math.max(0, limit)));
}

export function planHistory(jobs: readonly Job[], limits: { successful: number; failed: number }): Job[] {
  const finished = jobs.filter((j) => isJobFinished(j) && !j.metadata.deletionTimestamp);
  return [...oldestBeyond(finished.filter(isJobSucceeded), limits.successful), ...oldestBeyond(finished.filter((j) => !isJobSucceeded(j)), limits.failed)];
}
