// The CronJob planner: from a CronJob, the Jobs it controls and `now`, the
// actions for one pass. status.active is rebuilt from the Jobs themselves
// (unfinished, not being deleted), so a Job created by a pass that crashed
// before its status write is adopted; lastSuccessfulTime follows the newest
// completed Job; planRun decides on a due run; the history limits trim the
// oldest finished Jobs. Pure: the controller applies the actions in order.

import { deepEqual } from "../../deep-equal.ts";
import type { CronJob, Job } from "../../resources/batch.ts";
import type { ObjectReference } from "../../resources/meta.ts";
import type { KubeObject } from "../../resources/object.ts";
import type { EventType } from "../../events/recorder.ts";
import { finishedCondition, isJobFinished, isJobSucceeded } from "../job/job-conditions.ts";
import { planHistory } from "./history.ts";
import { planRun } from "./plan-cron-run.ts";

export type CronJobStatus = CronJob["status"];

export type CronJobAction =
  | { type: "event"; eventType: EventType; reason: string; message: string }
  /** Deleted with Background propagation; the controller records SuccessfulDelete. */
  | { type: "deleteJob"; job: Job }
  /** The controller records SuccessfulCreate and adds the created Job to the next writeStatus' active list. */
  | { type: "createJob"; job: KubeObject }
  /** Written through the status subresource with the CronJob's resourceVersion as precondition. */
  | { type: "writeStatus"; status: CronJobStatus };

export interface CronJobPlanInput {
  cronJob: CronJob;
  /** The Jobs this CronJob controls. */
  jobs: readonly Job[];
  now: number;
  /** The zone for schedules without spec.timeZone. */
  defaultTimeZone: string;
  /** True when a Job of that name exists in the namespace but is not this CronJob's. */
  nameTaken?: (name: string) => boolean;
}

export interface CronJobPlan {
  actions: CronJobAction[];
  /** The next scheduled time (plus a margin); undefined when nothing is scheduled. */
  requeueAt?: number;
}

export function jobRef(job: Job | KubeObject): ObjectReference {
  return { apiVersion: "batch/v1", kind: "Job", namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid };
}

function laterTime(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

export function planCronJob(input: CronJobPlanInput): CronJobPlan {
  const { cronJob, jobs } = input;
  const status = cronJob.status;
  const actions: CronJobAction[] = [];
  const event = (eventType: EventType, reason: string, message: string) => actions.push({ type: "event", eventType, reason, message });

  const byUid = new Map(jobs.map((j) => [j.metadata.uid ?? "", j]));
  for (const ref of status.active ?? []) {
    const job = byUid.get(ref.uid ?? "");
    if (!job) event("Normal", "MissingJob", `Active job went missing: ${ref.name}`);
    else if (isJobFinished(job)) event("Normal", "SawCompletedJob", `Saw completed job: ${job.metadata.name}, condition: ${finishedCondition(job)?.type}`);
  }
  const activeJobs = jobs.filter((j) => !isJobFinished(j) && !j.metadata.deletionTimestamp);
  let lastSuccessfulTime = status.lastSuccessfulTime;
  for (const j of jobs) if (isJobSucceeded(j)) lastSuccessfulTime = laterTime(lastSuccessfulTime, j.status.completionTime);

  const run = planRun({ ...input, active: activeJobs, nameTaken: input.nameTaken ?? (() => false) });
  for (const e of run.events) event(e.eventType, e.reason, e.message);
  const replaced = new Set(run.replace);
  for (const job of run.replace) actions.push({ type: "deleteJob", job });
  if (run.create) actions.push({ type: "createJob", job: run.create });

  // Keep the order and shape of references already listed; append adopted ones by name.
  const stillActive = new Set(activeJobs.filter((j) => !replaced.has(j)).map((j) => j.metadata.uid));
  const listed = (status.active ?? []).filter((r) => stillActive.has(r.uid));
  const listedUids = new Set(listed.map((r) => r.uid));
  const adopted = activeJobs
    .filter((j) => stillActive.has(j.metadata.uid) && !listedUids.has(j.metadata.uid))
    .sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "", "en", { numeric: true }))
    .map(jobRef);
  const active = [...listed, ...adopted];
  const next: CronJobStatus = Object.fromEntries(
    Object.entries({ ...status, active: active.length ? active : undefined, lastScheduleTime: laterTime(status.lastScheduleTime, run.lastScheduleTime), lastSuccessfulTime }).filter(
      ([, v]) => v !== undefined,
    ),
  ) as CronJobStatus;
  if (run.create || !deepEqual(next, status)) actions.push({ type: "writeStatus", status: next });

  const history = planHistory(jobs, { successful: cronJob.spec.successfulJobsHistoryLimit, failed: cronJob.spec.failedJobsHistoryLimit });
  for (const job of history) actions.push({ type: "deleteJob", job });
  return { actions, requeueAt: run.requeueAt };
}
