// planCronJob as a table: a CronJob, its Jobs and `now`, and the plan
// rendered as short lines (actions in order, then the requeue time).

import { describe, expect, test } from "bun:test";
import { CronJob, Job } from "../../core/resources/batch.ts";
import { planCronJob, type CronJobPlan } from "../../core/controllers/cron-job/plan-cron-job.ts";
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION } from "../../core/controllers/cron-job/plan-cron-run.ts";
import { planHistory } from "../../core/controllers/cron-job/history.ts";

const at = (s: string) => Date.parse(s);
const minutes = (s: string) => Math.floor(at(s) / 60_000);

function cronJob(spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): CronJob {
  return CronJob.parse({
    metadata: { name: "cj", namespace: "default", uid: "cj-uid", creationTimestamp: "2024-01-01T00:00:00Z", resourceVersion: "3", ...meta },
    spec: {
      schedule: "*/5 * * * *",
      timeZone: "UTC",
      jobTemplate: { metadata: { labels: { app: "x" } }, spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } } },
      ...spec,
    },
    status,
  });
}

type JobState = "active" | "complete" | "failed" | "deleting";

function job(name: string, state: JobState = "active", startTime?: string, completionTime?: string): Job {
  const conditions =
    state === "complete"
      ? [{ type: "Complete", status: "True" }]
      : state === "failed"
        ? [{ type: "Failed", status: "True" }]
        : [];
  return Job.parse({
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      ...(state === "deleting" ? { deletionTimestamp: "2024-01-01T00:00:00Z", finalizers: ["foregroundDeletion"] } : {}),
      ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "cj", uid: "cj-uid", controller: true }],
    },
    spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } },
    status: { conditions, ...(startTime ? { startTime } : {}), ...(completionTime ? { completionTime } : {}) },
  });
}

const ref = (name: string) => ({ apiVersion: "batch/v1", kind: "Job", namespace: "default", name, uid: `uid-${name}` });

function render(plan: CronJobPlan, now: number): string[] {
  const lines: string[] = [];
  for (const a of plan.actions) {
    if (a.type === "event") lines.push(`event ${a.eventType} ${a.reason}`);
    else if (a.type === "deleteJob") lines.push(`delete ${a.job.metadata.name}`);
    else if (a.type === "createJob") lines.push(`create ${a.job.metadata.name} at ${a.job.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]}`);
    else {
      const s = a.status;
      const parts = [`active=[${(s.active ?? []).map((r) => r.name).join(",")}]`];
      if (s.lastScheduleTime) parts.push(`last=${s.lastScheduleTime}`);
      if (s.lastSuccessfulTime) parts.push(`success=${s.lastSuccessfulTime}`);
      lines.push(`status ${parts.join(" ")}`);
    }
  }
  if (plan.requeueAt !== undefined) lines.push(`requeue +${(plan.requeueAt - now) / 1000}s`);
  return lines;
}

interface Case {
  name: string;
  cronJob: CronJob;
  jobs?: Job[];
  now: string;
  defaultTimeZone?: string;
  taken?: string[];
  want: string[];
}

const due = `cj-${minutes("2024-01-01T00:05:00Z")}`;
const last5 = { lastScheduleTime: "2024-01-01T00:05:00Z" };

const cases: Case[] = [
  { name: "not due yet: look again at the next run", cronJob: cronJob(), now: "2024-01-01T00:03:00Z", want: ["requeue +120.1s"] },
  {
    name: "due: a Job named after the scheduled minute",
    cronJob: cronJob(),
    now: "2024-01-01T00:05:10Z",
    want: [`create ${due} at 2024-01-01T00:05:00Z`, "status active=[] last=2024-01-01T00:05:00Z", "requeue +290.1s"],
  },
  {
    name: "several missed runs: only the most recent starts",
    cronJob: cronJob({}, last5),
    now: "2024-01-01T00:17:00Z",
    want: [`create cj-${minutes("2024-01-01T00:15:00Z")} at 2024-01-01T00:15:00Z`, "status active=[] last=2024-01-01T00:15:00Z", "requeue +180.1s"],
  },
  {
    name: "runs older than startingDeadlineSeconds are skipped",
    cronJob: cronJob({ startingDeadlineSeconds: 60 }, last5),
    now: "2024-01-01T00:17:30Z",
    want: ["requeue +150.1s"],
  },
  {
    name: "a run within startingDeadlineSeconds starts",
    cronJob: cronJob({ startingDeadlineSeconds: 180 }, last5),
    now: "2024-01-01T00:17:30Z",
    want: [`create cj-${minutes("2024-01-01T00:15:00Z")} at 2024-01-01T00:15:00Z`, "status active=[] last=2024-01-01T00:15:00Z", "requeue +150.1s"],
  },
  {
    name: "more than 100 missed runs: a warning, and the latest runs",
    cronJob: cronJob({ schedule: "* * * * *" }),
    now: "2024-01-05T10:00:30Z",
    want: [
      "event Warning TooManyMissedTimes",
      `create cj-${minutes("2024-01-05T10:00:00Z")} at 2024-01-05T10:00:00Z`,
      "status active=[] last=2024-01-05T10:00:00Z",
      "requeue +30.1s",
    ],
  },
  {
    name: "Allow: runs next to the active Job",
    cronJob: cronJob({}, { ...last5, active: [ref("old")] }),
    jobs: [job("old")],
    now: "2024-01-01T00:10:01Z",
    want: [`create cj-${minutes("2024-01-01T00:10:00Z")} at 2024-01-01T00:10:00Z`, "status active=[old] last=2024-01-01T00:10:00Z", "requeue +299.1s"],
  },
  {
    name: "Forbid: skipped while a Job is active",
    cronJob: cronJob({ concurrencyPolicy: "Forbid" }, { ...last5, active: [ref("old")] }),
    jobs: [job("old")],
    now: "2024-01-01T00:10:01Z",
    want: ["event Normal JobAlreadyActive", "requeue +299.1s"],
  },
  {
    name: "Replace: the active Job is deleted, then the new one created",
    cronJob: cronJob({ concurrencyPolicy: "Replace" }, { ...last5, active: [ref("old")] }),
    jobs: [job("old")],
    now: "2024-01-01T00:10:01Z",
    want: ["delete old", `create cj-${minutes("2024-01-01T00:10:00Z")} at 2024-01-01T00:10:00Z`, "status active=[] last=2024-01-01T00:10:00Z", "requeue +299.1s"],
  },
  {
    name: "the Job of this run exists (an earlier pass did not write status): adopted, not created again",
    cronJob: cronJob({}, last5),
    jobs: [job(`cj-${minutes("2024-01-01T00:10:00Z")}`)],
    now: "2024-01-01T00:10:01Z",
    want: [`status active=[cj-${minutes("2024-01-01T00:10:00Z")}] last=2024-01-01T00:10:00Z`, "requeue +299.1s"],
  },
  {
    name: "the name is taken by a Job that is not ours: a warning, and the run is passed",
    cronJob: cronJob({}, last5),
    taken: [`cj-${minutes("2024-01-01T00:10:00Z")}`],
    now: "2024-01-01T00:10:01Z",
    want: ["event Warning FailedCreate", "status active=[] last=2024-01-01T00:10:00Z", "requeue +299.1s"],
  },
  { name: "suspended: nothing, no requeue", cronJob: cronJob({ suspend: true }), now: "2024-01-01T00:10:01Z", want: [] },
  { name: "unknown time zone: a warning, no scheduling", cronJob: cronJob({ timeZone: "Mars/Olympus" }), now: "2024-01-01T00:10:01Z", want: ["event Warning UnknownTimeZone"] },
  { name: "unparseable schedule: a warning", cronJob: cronJob({ schedule: "every day" }), now: "2024-01-01T00:10:01Z", want: ["event Warning UnparseableSchedule"] },
  { name: "a schedule that never runs: a warning", cronJob: cronJob({ schedule: "0 0 31 2 *" }), now: "2024-01-01T00:10:01Z", want: ["event Warning InvalidSchedule"] },
  {
    name: "a finished Job leaves the active list; lastSuccessfulTime follows it",
    cronJob: cronJob({}, { lastScheduleTime: "2024-01-01T00:10:00Z", active: [ref("a"), ref("b")] }),
    jobs: [job("a", "complete", "2024-01-01T00:05:00Z", "2024-01-01T00:06:00Z"), job("b")],
    now: "2024-01-01T00:11:00Z",
    want: ["event Normal SawCompletedJob", "status active=[b] last=2024-01-01T00:10:00Z success=2024-01-01T00:06:00Z", "requeue +240.1s"],
  },
  {
    name: "an active Job that disappeared is dropped",
    cronJob: cronJob({}, { lastScheduleTime: "2024-01-01T00:10:00Z", active: [ref("gone")] }),
    now: "2024-01-01T00:11:00Z",
    want: ["event Normal MissingJob", "status active=[] last=2024-01-01T00:10:00Z", "requeue +240.1s"],
  },
  {
    name: "timeZone: runs at 09:00 in Kolkata, annotated in that zone",
    cronJob: cronJob({ schedule: "0 9 * * *", timeZone: "Asia/Kolkata" }),
    now: "2024-01-01T03:31:00Z",
    want: [`create cj-${minutes("2024-01-01T03:30:00Z")} at 2024-01-01T09:00:00+05:30`, "status active=[] last=2024-01-01T03:30:00Z", "requeue +86340.1s"],
  },
  {
    name: "no timeZone: the controller's zone schedules, the annotation is UTC",
    cronJob: cronJob({ schedule: "0 9 * * *", timeZone: undefined }),
    defaultTimeZone: "America/New_York",
    now: "2024-01-01T14:01:00Z",
    want: [`create cj-${minutes("2024-01-01T14:00:00Z")} at 2024-01-01T14:00:00Z`, "status active=[] last=2024-01-01T14:00:00Z", "requeue +86340.1s"],
  },
  {
    name: "seconds schedule (tug extension): Job names carry seconds",
    cronJob: cronJob({ schedule: "*/2 * * * * *" }, { lastScheduleTime: "2024-01-01T00:00:10Z" }),
    now: "2024-01-01T00:00:12.300Z",
    want: [`create cj-${at("2024-01-01T00:00:12Z") / 1000} at 2024-01-01T00:00:12Z`, "status active=[] last=2024-01-01T00:00:12Z", "requeue +1.8s"],
  },
  {
    name: "being deleted: status only",
    cronJob: cronJob({}, { active: [ref("a")] }, { deletionTimestamp: "2024-01-01T00:00:00Z", finalizers: ["foregroundDeletion"] }),
    jobs: [job("a", "deleting")],
    now: "2024-01-01T00:10:01Z",
    want: ["status active=[]"],
  },
  {
    name: "history limits: the oldest finished Jobs beyond them go",
    cronJob: cronJob({ successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 }, { lastScheduleTime: "2024-01-01T00:10:00Z" }),
    jobs: [
      job("s1", "complete", "2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z"),
      job("s2", "complete", "2024-01-01T00:03:00Z", "2024-01-01T00:04:00Z"),
      job("f1", "failed", "2024-01-01T00:05:00Z"),
      job("f2", "failed", "2024-01-01T00:07:00Z"),
    ],
    now: "2024-01-01T00:11:00Z",
    want: ["status active=[] last=2024-01-01T00:10:00Z success=2024-01-01T00:04:00Z", "delete s1", "delete f1", "requeue +240.1s"],
  },
];

describe("planCronJob", () => {
  for (const c of cases) {
    test(c.name, () => {
      const now = at(c.now);
      const taken = new Set(c.taken ?? []);
      const plan = planCronJob({ cronJob: c.cronJob, jobs: c.jobs ?? [], now, defaultTimeZone: c.defaultTimeZone ?? "UTC", nameTaken: (n) => taken.has(n) });
      expect(render(plan, now)).toEqual(c.want);
    });
  }

  test("the created Job carries the template and a controller reference", () => {
    const plan = planCronJob({ cronJob: cronJob(), jobs: [], now: at("2024-01-01T00:05:10Z"), defaultTimeZone: "UTC" });
    const create = plan.actions.find((a) => a.type === "createJob");
    if (create?.type !== "createJob") throw new Error("no createJob");
    expect(create.job.metadata.labels).toEqual({ app: "x" });
    expect(create.job.metadata.ownerReferences).toEqual([{ apiVersion: "batch/v1", kind: "CronJob", name: "cj", uid: "cj-uid", controller: true, blockOwnerDeletion: true }]);
    expect((create.job.spec as { template: { spec: { restartPolicy: string } } }).template.spec.restartPolicy).toBe("Never");
  });
});

describe("planHistory", () => {
  const table: [string, Job[], { successful: number; failed: number }, string[]][] = [
    ["within limits", [job("a", "complete", "2024-01-01T00:01:00Z"), job("b", "failed", "2024-01-01T00:02:00Z")], { successful: 3, failed: 1 }, []],
    ["limit 0 deletes every finished Job of that kind", [job("a", "complete"), job("b", "complete"), job("c")], { successful: 0, failed: 1 }, ["a", "b"]],
    [
      "oldest by start time; Jobs never started count as newest",
      [job("late", "complete", "2024-01-01T00:09:00Z"), job("never", "complete"), job("early", "complete", "2024-01-01T00:01:00Z")],
      { successful: 1, failed: 1 },
      ["early", "late"],
    ],
    ["same start time: by name", [job("cj-10", "failed", "2024-01-01T00:01:00Z"), job("cj-9", "failed", "2024-01-01T00:01:00Z")], { successful: 1, failed: 1 }, ["cj-9"]],
    ["Jobs being deleted are not counted", [job("a", "deleting"), job("b", "complete")], { successful: 1, failed: 1 }, []],
  ];
  for (const [name, jobs, limits, want] of table) test(name, () => expect(planHistory(jobs, limits).map((j) => j.metadata.name)).toEqual(want));
});
