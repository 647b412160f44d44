// Which scheduled time a CronJob should start now, after Kubernetes'
// mostRecentScheduleTime: runs count from the last scheduled time (or the
// CronJob's creation), never from further back than startingDeadlineSeconds;
// of the runs missed since then only the most recent is started, and more
// than 100 of them suggests a wrong clock.

import type { Schedule } from "./schedule.ts";

export const TOO_MANY_MISSED = 100;

export interface UnmetSchedule {
  /** The latest activation in (earliest, now], if any. */
  mostRecent?: number;
  /** Activations in (earliest, now], counted up to TOO_MANY_MISSED + 1. */
  missed: number;
}

export function unmetScheduleTime(schedule: Schedule, earliestMs: number, nowMs: number): UnmetSchedule {
  let missed = 0;
  let last: number | undefined;
  for (let t = schedule.next(earliestMs); t !== undefined && t <= nowMs && missed <= TOO_MANY_MISSED; t = schedule.next(t)) {
    missed++;
    last = t;
  }
  if (missed === 0) return { missed };
  return { mostRecent: missed > TOO_MANY_MISSED ? schedule.latest(earliestMs, nowMs) : last, missed };
}

/** Where counting starts: the last scheduled time or creation, but no earlier than the starting deadline allows. */
export function earliestScheduleTime(opts: { lastScheduleTime?: string; creationTimestamp?: string; startingDeadlineSeconds?: number; now: number }): number {
  const base = Date.parse(opts.lastScheduleTime ?? opts.creationTimestamp ?? "");
  const from = Number.isFinite(base) ? base : opts.now;
  if (opts.startingDeadlineSeconds === undefined) return from;
  return Math.max(from, opts.now - opts.startingDeadlineSeconds * 1000);
}

/** Kubernetes names a CronJob's Job `<cronjob>-<scheduled time in minutes since the epoch>`; sub-minute schedules use seconds. */
export function scheduledJobName(cronJobName: string, scheduledMs: number, subMinute: boolean): string {
  return `${cronJobName}-${Math.floor(scheduledMs / (subMinute ? 1000 : 60_000))}`;
}
