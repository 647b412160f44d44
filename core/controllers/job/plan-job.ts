// The Job planner: from a Job, the pods it controls and `now`, the actions
// that move it one step on. A running Job keeps the pods it wants (see
// plan-job-pods.ts), counts finished pods through the tracking finalizer (see
// job-accounting.ts), and is judged: failed pods beyond backoffLimit or an
// expired activeDeadlineSeconds set FailureTarget, enough successes set
// SuccessCriteriaMet. Then its active pods are deleted, and once every pod is
// counted the final Complete or Failed condition follows. A finished Job only
// waits for ttlSecondsAfterFinished. Pure: the controller applies the actions
// in order and stops at the first that fails.

import { rfc3339 } from "../../clock.ts";
import { deepEqual } from "../../deep-equal.ts";
import type { Job } from "../../resources/batch.ts";
import type { Condition } from "../../resources/meta.ts";
import type { KubeObject } from "../../resources/object.ts";
import type { EventType } from "../../events/recorder.ts";
import { isPodActive, isPodReady } from "../pods.ts";
import { formatCompletedIndexes } from "./completed-indexes.ts";
import { accountPods, type PodAccounting } from "./job-accounting.ts";
import { backoffUntil, DEFAULT_POD_FAILURE_BACKOFF, nextBackoffRecord, type BackoffPolicy, type BackoffRecord } from "./job-backoff.ts";
import {
  finishedAtMs,
  isConditionTrue,
  isJobFinished,
  JOB_COMPLETE,
  JOB_FAILED,
  JOB_FAILURE_TARGET,
  JOB_SUCCESS_CRITERIA_MET,
  JOB_SUSPENDED,
  withCondition,
} from "./job-conditions.ts";
import { hasTrackingFinalizer, newJobPod, restartCount } from "./job-pods.ts";
import { planIndexedPods, planNonIndexedPods } from "./plan-job-pods.ts";

export type JobStatus = Job["status"];

export type JobAction =
  | { type: "deletePod"; pod: KubeObject }
  | { type: "createPod"; pod: KubeObject }
  /** Written as an update of the status subresource with the Job's resourceVersion as precondition. */
  | { type: "writeStatus"; status: JobStatus }
  | { type: "event"; eventType: EventType; reason: string; message: string }
  | { type: "removeFinalizer"; pod: KubeObject }
  /** ttlSecondsAfterFinished has passed: delete the Job (Background), with its uid as precondition. */
  | { type: "deleteJob" };

export interface JobPlanInput {
  job: Job;
  /** The pods this Job controls. */
  pods: readonly KubeObject[];
  now: number;
  /** Consecutive failures remembered by the controller (see job-backoff.ts). */
  backoff?: BackoffRecord;
  backoffPolicy?: BackoffPolicy;
}

export interface JobPlan {
  actions: JobAction[];
  /** Look at the Job again at this time (deadline, back-off, TTL). */
  requeueAt?: number;
  /** The failure record to keep once the actions are applied. */
  backoff: BackoffRecord;
}

type Verdict = { type: string; reason: string; message: string };

const BACKOFF_LIMIT_EXCEEDED: Verdict = { type: JOB_FAILURE_TARGET, reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" };
const DEADLINE_EXCEEDED: Verdict = { type: JOB_FAILURE_TARGET, reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" };
const COMPLETIONS_REACHED: Verdict = { type: JOB_SUCCESS_CRITERIA_MET, reason: "CompletionsReached", message: "Reached expected number of succeeded pods" };

/** restartPolicy OnFailure: container restarts in live pods count toward backoffLimit, as in Kubernetes. */
function pastBackoffLimitOnFailure(job: Job, active: readonly KubeObject[]): boolean {
  if ((job.spec.template.spec as { restartPolicy?: string }).restartPolicy !== "OnFailure") return false;
  const restarts = active.reduce((n, p) => n + restartCount(p), 0);
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** Failure before success, as Kubernetes checks them; also when to look again for the deadline. */
function judge(job: Job, acct: PodAccounting, active: readonly KubeObject[], startTime: string | undefined, now: number): { verdict?: Verdict; deadlineAt?: number } {
  if (acct.effectiveFailed > (job.spec.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, active)) return { verdict: BACKOFF_LIMIT_EXCEEDED };
  const ads = job.spec.activeDeadlineSeconds;
  const started = startTime ? Date.parse(startTime) : NaN;
  let deadlineAt: number | undefined;
  if (ads !== undefined && job.spec.suspend !== true && Number.isFinite(started)) {
    deadlineAt = started + ads * 1000;
    if (now >= deadlineAt) return { verdict: DEADLINE_EXCEEDED };
  }
  const completions = job.spec.completions;
  const done = completions === undefined ? acct.effectiveSucceeded > 0 && active.length === 0 : acct.effectiveSucceeded >= completions;
  return done ? { verdict: COMPLETIONS_REACHED, deadlineAt } : { deadlineAt };
}

function planFinished(job: Job, pods: readonly KubeObject[], now: number, backoff: BackoffRecord): JobPlan {
  // Stragglers (pods created by a racing writer) are released, not counted: the counts are final.
  const actions: JobAction[] = pods.filter(hasTrackingFinalizer).map((pod) => ({ type: "removeFinalizer", pod }));
  const ttl = job.spec.ttlSecondsAfterFinished;
  const finishedAt = finishedAtMs(job);
  if (ttl === undefined || finishedAt === undefined) return { actions, backoff };
  const expireAt = finishedAt + ttl * 1000;
  if (now >= expireAt) return { actions: [...actions, { type: "deleteJob" }], backoff };
  return { actions, backoff, requeueAt: expireAt };
}

function withoutUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function planJob(input: JobPlanInput): JobPlan {
  const { job, pods, now } = input;
  const prevBackoff = input.backoff ?? { failures: 0 };
  if (job.metadata.deletionTimestamp) {
    return { actions: pods.filter(hasTrackingFinalizer).map((pod) => ({ type: "removeFinalizer", pod })), backoff: prevBackoff };
  }
  if (isJobFinished(job)) return planFinished(job, pods, now, prevBackoff);

  const nowText = rfc3339(now);
  const suspended = job.spec.suspend === true;
  const acct = accountPods(job, pods, { suspended });
  const backoff = nextBackoffRecord(input.backoff, acct.newSucceeded.length, acct.newFailed.length, now);
  const events: JobAction[] = [];
  const event = (eventType: EventType, reason: string, message: string) => events.push({ type: "event", eventType, reason, message });
  let requeueAt: number | undefined;
  const lookAgainAt = (t: number) => (requeueAt = requeueAt === undefined ? t : Math.min(requeueAt, t));

  let conditions: Condition[] = [...(job.status.conditions ?? [])];
  let startTime = job.status.startTime;
  if (suspended) {
    if (!isConditionTrue(job, JOB_SUSPENDED)) {
      conditions = withCondition(conditions, { type: JOB_SUSPENDED, status: "True", reason: "JobSuspended", message: "Job suspended" }, nowText);
      event("Normal", "Suspended", "Job suspended");
    }
  } else {
    if (isConditionTrue(job, JOB_SUSPENDED)) {
      conditions = withCondition(conditions, { type: JOB_SUSPENDED, status: "False", reason: "JobResumed", message: "Job resumed" }, nowText);
      event("Normal", "Resumed", "Job resumed");
      // activeDeadlineSeconds counts time spent running, so it restarts on resume.
      startTime = nowText;
    }
    startTime ??= nowText;
  }

  const active = pods.filter(isPodActive);
  let target = conditions.find((c) => (c.type === JOB_FAILURE_TARGET || c.type === JOB_SUCCESS_CRITERIA_MET) && c.status === "True");
  if (!target) {
    const { verdict, deadlineAt } = judge(job, acct, active, startTime, now);
    if (verdict) {
      conditions = withCondition(conditions, { ...verdict, status: "True" }, nowText);
      target = conditions.find((c) => c.type === verdict.type);
    } else if (deadlineAt !== undefined) {
      lookAgainAt(deadlineAt);
    }
  }

  let toDelete: KubeObject[] = [];
  let toCreate: KubeObject[] = [];
  if (target || suspended) {
    toDelete = active;
  } else {
    const changes =
      job.spec.completionMode === "Indexed" ? planIndexedPods(job, active, acct.succeededIndexes ?? new Set()) : planNonIndexedPods(job, active, acct.effectiveSucceeded);
    toDelete = changes.delete;
    if (changes.create.length) {
      const until = backoffUntil(backoff, input.backoffPolicy ?? DEFAULT_POD_FAILURE_BACKOFF);
      if (until > now) lookAgainAt(until);
      else toCreate = changes.create.map((ix) => newJobPod(job, ix));
    }
  }

  let completionTime = job.status.completionTime;
  if (target) {
    const outstanding = acct.uncounted.succeeded.length + acct.uncounted.failed.length > 0 || pods.some(hasTrackingFinalizer) || active.length > 0;
    if (!outstanding) {
      const complete = target.type === JOB_SUCCESS_CRITERIA_MET;
      const reason = target.reason ?? "";
      const message = target.message ?? "";
      conditions = withCondition(conditions, { type: complete ? JOB_COMPLETE : JOB_FAILED, status: "True", reason, message }, nowText);
      if (complete) {
        completionTime = nowText;
        event("Normal", "Completed", "Job completed");
      } else {
        event("Warning", reason, message);
      }
      // The status write that finishes the Job brings it back, and planFinished arms the TTL.
    }
  }

  const deleting = new Set(toDelete);
  const u = acct.uncounted;
  const status: JobStatus = withoutUndefined({
    ...job.status,
    conditions: conditions.length ? conditions : undefined,
    startTime,
    completionTime,
    active: active.length - toDelete.length + toCreate.length,
    ready: active.filter((p) => !deleting.has(p) && isPodReady(p)).length,
    succeeded: acct.succeeded,
    failed: acct.failed,
    uncountedTerminatedPods: withoutUndefined({ succeeded: u.succeeded.length ? u.succeeded : undefined, failed: u.failed.length ? u.failed : undefined }),
    completedIndexes: acct.succeededIndexes?.size ? formatCompletedIndexes(acct.succeededIndexes) : undefined,
  });

  const actions: JobAction[] = [
    ...toDelete.map((pod): JobAction => ({ type: "deletePod", pod })),
    ...toCreate.map((pod): JobAction => ({ type: "createPod", pod })),
  ];
  if (!deepEqual(status, job.status)) actions.push({ type: "writeStatus", status });
  actions.push(...events, ...acct.release.map((pod): JobAction => ({ type: "removeFinalizer", pod })));
  return { actions, requeueAt, backoff };
}
