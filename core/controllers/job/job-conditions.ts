// A Job's status.conditions: the types Kubernetes uses, whether a Job has
// finished, and setting one condition. Shared with the CronJob controller,
// which needs to know when the Jobs it made are done.

import type { Condition } from "../../resources/meta.ts";

export const JOB_COMPLETE = "Complete";
export const JOB_FAILED = "Failed";
/** Set first when a Job has succeeded; Complete follows once its pods are all accounted for. */
export const JOB_SUCCESS_CRITERIA_MET = "SuccessCriteriaMet";
/** Set first when a Job has failed; Failed follows once its pods are all accounted for. */
export const JOB_FAILURE_TARGET = "FailureTarget";
export const JOB_SUSPENDED = "Suspended";

export interface JobShape {
  metadata: { name?: string; uid?: string };
  status?: { conditions?: Condition[]; completionTime?: string };
}

export function jobCondition(job: JobShape, type: string): Condition | undefined {
  return job.status?.conditions?.find((c) => c.type === type);
}

export function isConditionTrue(job: JobShape, type: string): boolean {
  return jobCondition(job, type)?.status === "True";
}

/** The Complete or Failed condition that is True, if the Job has finished. */
export function finishedCondition(job: JobShape): Condition | undefined {
  return job.status?.conditions?.find((c) => (c.type === JOB_COMPLETE || c.type === JOB_FAILED) && c.status === "True");
}

export function isJobFinished(job: JobShape): boolean {
  return finishedCondition(job) !== undefined;
}

export function isJobSucceeded(job: JobShape): boolean {
  return isConditionTrue(job, JOB_COMPLETE);
}

/** When the Job finished (its finished condition's transition, else completionTime), in ms. */
export function finishedAtMs(job: JobShape): number | undefined {
  const c = finishedCondition(job);
  if (!c) return undefined;
  const t = Date.parse(c.lastTransitionTime ?? job.status?.completionTime ?? "");
  return Number.isFinite(t) ? t : undefined;
}

/**
 * `conditions` with one condition of `type` set: the transition time moves
 * only when the status changes, as Kubernetes does.
 */
export function withCondition(
  conditions: readonly Condition[],
  next: { type: string; status: "True" | "False"; reason: string; message: string },
  now: string,
): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const cond: Condition = {
    type: next.type,
    status: next.status,
    lastProbeTime: now,
    lastTransitionTime: old && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : now,
    reason: next.reason,
    message: next.message,
  };
  return old ? conditions.map((c) => (c.type === next.type ? cond : c)) : [...conditions, cond];
}
