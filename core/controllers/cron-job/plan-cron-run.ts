// The scheduling half of the CronJob planner: whether a run is due now and
// what starting it takes (after Kubernetes' syncCronJob). An invalid time
// zone, an unparseable schedule or suspend stop scheduling until the spec
// changes; a due run is skipped when it is past startingDeadlineSeconds, when
// its Job exists already (a retried reconcile), or under Forbid while a Job
// is active; under Replace the active Jobs are deleted first.

import { rfc3339 } from "../../clock.ts";
import type { CronJob, Job } from "../../resources/batch.ts";
import type { KubeObject } from "../../resources/object.ts";
import type { EventType } from "../../events/recorder.ts";
import { newControllerRef } from "../owners.ts";
import { parseSchedule } from "./schedule.ts";
import { earliestScheduleTime, scheduledJobName, TOO_MANY_MISSED, unmetScheduleTime } from "./schedule-times.ts";
import { formatInZone, isValidTimeZone } from "./time-zone.ts";

export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp";

/** Kubernetes looks again this long after the next scheduled time, to be surely past it. */
export const NEXT_SCHEDULE_DELTA_MS = 100;

export interface RunEvent {
  eventType: EventType;
  reason: string;
  message: string;
}

export interface RunDecision {
  events: RunEvent[];
  /** Active Jobs to delete first (Replace). */
  replace: Job[];
  /** The Job to create. */
  create?: KubeObject;
  /** The new status.lastScheduleTime, when it moves. */
  lastScheduleTime?: string;
  requeueAt?: number;
}

export interface RunInput {
  cronJob: CronJob;
  /** Jobs this CronJob controls. */
  jobs: readonly Job[];
  /** Its unfinished Jobs not being deleted. */
  active: readonly Job[];
  now: number;
  defaultTimeZone: string;
  nameTaken: (name: string) => boolean;
}

function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}

/** The Job for the run scheduled at `scheduledMs`: the template's labels, annotations and spec, owned by the CronJob. */
export function jobForRun(cronJob: CronJob, name: string, scheduledMs: number): KubeObject {
  const tmpl = cronJob.spec.jobTemplate;
  const annotations = {
    ...tmpl.metadata.annotations,
    // Kubernetes writes it in spec.timeZone, or UTC without one.
    [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(scheduledMs, cronJob.spec.timeZone ?? "UTC"),
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      namespace: cronJob.metadata.namespace,
      ...(tmpl.metadata.labels ? { labels: { ...tmpl.metadata.labels } } : {}),
      annotations,
      ownerReferences: [newControllerRef(cronJob as unknown as KubeObject)],
    },
    spec: structuredClone(tmpl.spec),
  };
}

export function planRun(input: RunInput): RunDecision {
  const { cronJob, now } = input;
  const spec = cronJob.spec;
  const decision: RunDecision = { events: [], replace: [] };
  const warn = (reason: string, message: string) => decision.events.push({ eventType: "Warning", reason, message });
  if (cronJob.metadata.deletionTimestamp) return decision;

  const timeZone = spec.timeZone ?? input.defaultTimeZone;
  if (spec.timeZone !== undefined && !isValidTimeZone(spec.timeZone)) {
    warn("UnknownTimeZone", `invalid timeZone: "${spec.timeZone}": unknown time zone ${spec.timeZone}`);
    return decision;
  }
  if (spec.suspend) return decision;
  const parsed = parseSchedule(spec.schedule, timeZone);
  if (!parsed.ok) {
    warn("UnparseableSchedule", `unparseable schedule: "${spec.schedule}" : ${parsed.message}`);
    return decision;
  }
  const schedule = parsed.schedule;
  const next = schedule.next(now);
  if (next !== undefined) decision.requeueAt = next + NEXT_SCHEDULE_DELTA_MS;

  const earliest = earliestScheduleTime({
    lastScheduleTime: cronJob.status.lastScheduleTime,
    creationTimestamp: cronJob.metadata.creationTimestamp,
    startingDeadlineSeconds: spec.startingDeadlineSeconds,
    now,
  });
  const { mostRecent, missed } = unmetScheduleTime(schedule, earliest, now);
  if (mostRecent === undefined) {
    if (next === undefined) warn("InvalidSchedule", `invalid schedule: ${spec.schedule} : it never runs`);
    return decision;
  }
  if (missed > TOO_MANY_MISSED) {
    warn("TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew");
  }
  if (spec.startingDeadlineSeconds !== undefined && mostRecent + spec.startingDeadlineSeconds * 1000 < now) {
    warn("MissSchedule", `Missed scheduled time to start a job: ${rfc1123z(mostRecent)}`);
    return decision;
  }

  const name = scheduledJobName(cronJob.metadata.name ?? "", mostRecent, schedule.subMinute);
  const scheduledAt = rfc3339(mostRecent);
  if (input.jobs.some((j) => j.metadata.name === name)) {
    // Created by an earlier pass whose status write did not happen.
    decision.lastScheduleTime = scheduledAt;
    return decision;
  }
  if (input.nameTaken(name)) {
    warn("FailedCreate", `Error creating job: jobs.batch "${name}" already exists and is not controlled by this CronJob`);
    decision.lastScheduleTime = scheduledAt;
    return decision;
  }
  if (spec.concurrencyPolicy === "Forbid" && input.active.length > 0) {
    decision.events.push({ eventType: "Normal", reason: "JobAlreadyActive", message: "Not starting job because prior execution is running and concurrency policy is Forbid" });
    return decision;
  }
  if (spec.concurrencyPolicy === "Replace") decision.replace = [...input.active];
  decision.create = jobForRun(cronJob, name, mostRecent);
  decision.lastScheduleTime = scheduledAt;
  return decision;
}
