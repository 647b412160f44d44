// planJob as tables: each case is a Job, its pods and `now`, and the plan
// rendered as short lines (actions in order, then requeue time).

import { describe, expect, test } from "bun:test";
import { rfc3339 } from "../../core/clock.ts";
import { Job, generateJobSelector } from "../../core/resources/batch.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import { planJob, type JobPlan } from "../../core/controllers/job/plan-job.ts";
import type { BackoffPolicy, BackoffRecord } from "../../core/controllers/job/job-backoff.ts";
import { JOB_COMPLETION_INDEX_ANNOTATION, JOB_TRACKING_FINALIZER } from "../../core/controllers/job/job-pods.ts";
import { formatCompletedIndexes, parseCompletedIndexes } from "../../core/controllers/job/completed-indexes.ts";

const NOW = Date.parse("2024-05-01T12:00:00Z");
const T = (offsetS: number) => rfc3339(NOW + offsetS * 1000);

function job(spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Job {
  const parsed = Job.parse({
    metadata: { name: "pi", namespace: "default", uid: "job-uid", resourceVersion: "5", ...meta },
    spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } }, ...spec },
    status,
  });
  return generateJobSelector(parsed, "job-uid");
}

interface PodOpts {
  phase?: string;
  tracked?: boolean;
  deleting?: boolean;
  node?: string;
  ready?: boolean;
  index?: number;
  restarts?: number;
  age?: number;
}

function pod(name: string, o: PodOpts = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      creationTimestamp: T(-(o.age ?? 10)),
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "pi", uid: "job-uid", controller: true }],
      ...(o.tracked === false ? {} : { finalizers: [JOB_TRACKING_FINALIZER] }),
      ...(o.deleting ? { deletionTimestamp: T(-1) } : {}),
      ...(o.index !== undefined ? { annotations: { [JOB_COMPLETION_INDEX_ANNOTATION]: String(o.index) } } : {}),
    },
    spec: { containers: [{ name: "c", image: "busybox" }], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? "Running",
      conditions: o.ready ? [{ type: "Ready", status: "True" }] : [],
      ...(o.restarts ? { containerStatuses: [{ name: "c", restartCount: o.restarts }] } : {}),
    },
  };
}

function render(plan: JobPlan): string[] {
  const lines: string[] = [];
  for (const a of plan.actions) {
    switch (a.type) {
      case "createPod": {
        const ix = a.pod.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
        const host = (a.pod.spec as { hostname?: string }).hostname;
        lines.push(`create ${a.pod.metadata.generateName}${ix !== undefined ? ` index=${ix} host=${host}` : ""}`);
        break;
      }
      case "deletePod":
        lines.push(`delete ${a.pod.metadata.name}`);
        break;
      case "removeFinalizer":
        lines.push(`release ${a.pod.metadata.name}`);
        break;
      case "event":
        lines.push(`event ${a.eventType} ${a.reason}`);
        break;
      case "deleteJob":
        lines.push("deleteJob");
        break;
      case "writeStatus": {
        const s = a.status;
        const u = s.uncountedTerminatedPods as { succeeded?: string[]; failed?: string[] } | undefined;
        const parts = [`active=${s.active}`, `ready=${s.ready}`, `succeeded=${s.succeeded}`, `failed=${s.failed}`];
        if (u?.succeeded?.length) parts.push(`uncounted.succeeded=${u.succeeded.join(",")}`);
        if (u?.failed?.length) parts.push(`uncounted.failed=${u.failed.join(",")}`);
        if (s.completedIndexes) parts.push(`indexes=${s.completedIndexes}`);
        for (const c of s.conditions ?? []) parts.push(`${c.type}=${c.status}(${c.reason})`);
        if (s.startTime) parts.push(`start=${s.startTime === T(0) ? "now" : s.startTime}`);
        if (s.completionTime) parts.push("completionTime");
        lines.push(`status ${parts.join(" ")}`);
        break;
      }
    }
  }
  if (plan.requeueAt !== undefined) lines.push(`requeue +${(plan.requeueAt - NOW) / 1000}s`);
  return lines;
}

const started = { startTime: T(-30) };
const running = { ...started, active: 2, ready: 0, succeeded: 0, failed: 0, uncountedTerminatedPods: {} };

interface Case {
  name: string;
  job: Job;
  pods?: KubeObject[];
  backoff?: BackoffRecord;
  policy?: BackoffPolicy;
  want: string[];
}

const cases: Case[] = [
  {
    name: "new job: parallelism pods, never more than completions",
    job: job({ completions: 3, parallelism: 2 }),
    want: ["create pi-", "create pi-", "status active=2 ready=0 succeeded=0 failed=0 start=now"],
  },
  {
    name: "parallelism above completions creates only completions",
    job: job({ completions: 2, parallelism: 5 }),
    want: ["create pi-", "create pi-", "status active=2 ready=0 succeeded=0 failed=0 start=now"],
  },
  {
    name: "remaining completions cap the active pods: the unscheduled one goes",
    job: job({ completions: 3, parallelism: 2 }, { ...running, succeeded: 2 }),
    pods: [pod("a", { node: "n1", ready: true }), pod("b")],
    want: ["delete b", "status active=1 ready=1 succeeded=2 failed=0 start=" + T(-30)],
  },
  {
    name: "a succeeded pod is recorded by uid, then released",
    job: job({ completions: 3, parallelism: 2 }, running),
    pods: [pod("a", { phase: "Succeeded" }), pod("b")],
    want: ["create pi-", "status active=2 ready=0 succeeded=0 failed=0 uncounted.succeeded=uid-a start=" + T(-30), "release a"],
  },
  {
    name: "a recorded pod that lost its finalizer is folded into the count",
    job: job({ completions: 3, parallelism: 2 }, { ...running, uncountedTerminatedPods: { succeeded: ["uid-a"] } }),
    pods: [pod("a", { phase: "Succeeded", tracked: false }), pod("b"), pod("c")],
    want: ["status active=2 ready=0 succeeded=1 failed=0 start=" + T(-30)],
  },
  {
    name: "a recorded pod deleted by someone is folded too",
    job: job({ completions: 3, parallelism: 2 }, { ...running, uncountedTerminatedPods: { failed: ["uid-gone"] } }),
    pods: [pod("b"), pod("c")],
    want: ["status active=2 ready=0 succeeded=0 failed=1 start=" + T(-30)],
  },
  {
    name: "a recorded pod still holding its finalizer is released again, not counted twice",
    job: job({ completions: 3, parallelism: 2 }, { ...running, active: 1, uncountedTerminatedPods: { succeeded: ["uid-a"] } }),
    pods: [pod("a", { phase: "Succeeded" }), pod("b")],
    want: ["create pi-", "status active=2 ready=0 succeeded=0 failed=0 uncounted.succeeded=uid-a start=" + T(-30), "release a"],
  },
  {
    name: "a pod deleted before it finished counts as failed",
    job: job({ completions: 1, parallelism: 1, backoffLimit: 3 }, { ...running, active: 1 }),
    pods: [pod("a", { deleting: true })],
    want: ["status active=0 ready=0 succeeded=0 failed=0 uncounted.failed=uid-a start=" + T(-30), "release a", "requeue +10s"],
  },
  {
    name: "finished pods without the finalizer are not counted again",
    job: job({ completions: 3, parallelism: 1 }, { ...running, active: 1, succeeded: 1 }),
    pods: [pod("a", { phase: "Succeeded", tracked: false }), pod("b")],
    want: [],
  },
  {
    name: "work queue (no completions): after a success no new pods, running ones finish",
    job: job({ parallelism: 3 }, { ...running, active: 2, succeeded: 1 }),
    pods: [pod("b"), pod("c")],
    want: [],
  },
  {
    name: "work queue: success and nothing running completes the Job",
    job: job({ parallelism: 3 }, { ...running, active: 0, succeeded: 1 }),
    want: [
      `status active=0 ready=0 succeeded=1 failed=0 SuccessCriteriaMet=True(CompletionsReached) Complete=True(CompletionsReached) start=${T(-30)} completionTime`,
      "event Normal Completed",
    ],
  },
  {
    name: "failures within backoffLimit: replaced (without back-off delay)",
    job: job({ completions: 1, backoffLimit: 2 }, { ...running, active: 1, failed: 1 }),
    pods: [pod("a", { phase: "Failed" })],
    policy: { baseMs: 0, maxMs: 0 },
    want: ["create pi-", "status active=1 ready=0 succeeded=0 failed=1 uncounted.failed=uid-a start=" + T(-30), "release a"],
  },
  {
    name: "failures beyond backoffLimit: FailureTarget and the active pods go",
    job: job({ completions: 2, parallelism: 2, backoffLimit: 1 }, { ...running, failed: 1 }),
    pods: [pod("a", { phase: "Failed" }), pod("b")],
    want: [
      "delete b",
      "status active=0 ready=0 succeeded=0 failed=1 uncounted.failed=uid-a FailureTarget=True(BackoffLimitExceeded) start=" + T(-30),
      "release a",
    ],
  },
  {
    name: "FailureTarget waits for pods still holding the finalizer",
    job: job({ completions: 2, backoffLimit: 1 }, { ...running, active: 0, failed: 2, conditions: [{ type: "FailureTarget", status: "True", reason: "BackoffLimitExceeded", message: "m" }] }),
    pods: [pod("b", { deleting: true })],
    want: ["status active=0 ready=0 succeeded=0 failed=2 uncounted.failed=uid-b FailureTarget=True(BackoffLimitExceeded) start=" + T(-30), "release b"],
  },
  {
    name: "FailureTarget with every pod counted: Failed and a Warning",
    job: job({ completions: 2, backoffLimit: 1 }, { ...running, active: 0, failed: 2, conditions: [{ type: "FailureTarget", status: "True", reason: "BackoffLimitExceeded", message: "m" }] }),
    pods: [pod("a", { phase: "Failed", tracked: false })],
    want: [
      `status active=0 ready=0 succeeded=0 failed=2 FailureTarget=True(BackoffLimitExceeded) Failed=True(BackoffLimitExceeded) start=${T(-30)}`,
      "event Warning BackoffLimitExceeded",
    ],
  },
  {
    name: "OnFailure: container restarts count toward backoffLimit",
    job: job({ completions: 1, backoffLimit: 2, template: { spec: { restartPolicy: "OnFailure", containers: [{ name: "c", image: "busybox" }] } } }, { ...running, active: 1 }),
    pods: [pod("a", { restarts: 2 })],
    want: ["delete a", "status active=0 ready=0 succeeded=0 failed=0 FailureTarget=True(BackoffLimitExceeded) start=" + T(-30)],
  },
  {
    name: "completions reached: SuccessCriteriaMet, Complete once all are counted",
    job: job({ completions: 2, parallelism: 2 }, { ...running, active: 0, succeeded: 1, uncountedTerminatedPods: { succeeded: ["uid-b"] } }),
    pods: [pod("a", { phase: "Succeeded", tracked: false }), pod("b", { phase: "Succeeded", tracked: false })],
    want: [
      `status active=0 ready=0 succeeded=2 failed=0 SuccessCriteriaMet=True(CompletionsReached) Complete=True(CompletionsReached) start=${T(-30)} completionTime`,
      "event Normal Completed",
    ],
  },
  {
    name: "completions: 0 completes at once",
    job: job({ completions: 0 }),
    want: [`status active=0 ready=0 succeeded=0 failed=0 SuccessCriteriaMet=True(CompletionsReached) Complete=True(CompletionsReached) start=now completionTime`, "event Normal Completed"],
  },
  {
    name: "activeDeadlineSeconds passed: DeadlineExceeded",
    job: job({ completions: 1, activeDeadlineSeconds: 20 }, { ...running, active: 1 }),
    pods: [pod("a")],
    want: ["delete a", "status active=0 ready=0 succeeded=0 failed=0 FailureTarget=True(DeadlineExceeded) start=" + T(-30)],
  },
  {
    name: "activeDeadlineSeconds ahead: look again at the deadline",
    job: job({ completions: 1, activeDeadlineSeconds: 45 }, { ...running, active: 1 }),
    pods: [pod("a")],
    want: ["requeue +15s"],
  },
  {
    name: "created suspended: no pods, no startTime, Suspended",
    job: job({ completions: 2, suspend: true }),
    want: ["status active=0 ready=0 succeeded=0 failed=0 Suspended=True(JobSuspended)", "event Normal Suspended"],
  },
  {
    name: "suspended while running: pods deleted, and released uncounted once terminating",
    job: job({ completions: 2, parallelism: 2, suspend: true }, running),
    pods: [pod("a"), pod("b", { deleting: true })],
    want: ["delete a", `status active=0 ready=0 succeeded=0 failed=0 Suspended=True(JobSuspended) start=${T(-30)}`, "event Normal Suspended", "release b"],
  },
  {
    name: "suspended: the deadline does not run",
    job: job({ completions: 1, suspend: true, activeDeadlineSeconds: 5 }, { ...running, active: 0, conditions: [{ type: "Suspended", status: "True", reason: "JobSuspended" }] }),
    want: [],
  },
  {
    name: "resumed: startTime restarts, pods are created",
    job: job({ completions: 1 }, { ...running, active: 0, conditions: [{ type: "Suspended", status: "True", reason: "JobSuspended", lastTransitionTime: T(-60) }] }),
    want: ["create pi-", "status active=1 ready=0 succeeded=0 failed=0 Suspended=False(JobResumed) start=now", "event Normal Resumed"],
  },
  {
    name: "back-off: replacements wait 10s doubling per consecutive failure",
    job: job({ completions: 1, backoffLimit: 5 }, { ...running, active: 0, failed: 2 }),
    backoff: { failures: 2, lastFailureMs: NOW - 5000 },
    want: ["requeue +15s"],
  },
  {
    name: "back-off over: replacement created",
    job: job({ completions: 1, backoffLimit: 5 }, { ...running, active: 0, failed: 2 }),
    backoff: { failures: 2, lastFailureMs: NOW - 20000 },
    want: ["create pi-", "status active=1 ready=0 succeeded=0 failed=2 start=" + T(-30)],
  },
  {
    name: "finished with ttl ahead: look again then",
    job: job({ ttlSecondsAfterFinished: 60 }, { ...running, conditions: [{ type: "Complete", status: "True", lastTransitionTime: T(-10) }] }),
    want: ["requeue +50s"],
  },
  {
    name: "finished with ttl passed: delete the Job",
    job: job({ ttlSecondsAfterFinished: 5 }, { ...running, conditions: [{ type: "Failed", status: "True", lastTransitionTime: T(-10) }] }),
    want: ["deleteJob"],
  },
  {
    name: "finished without ttl: stragglers released, nothing else",
    job: job({}, { ...running, conditions: [{ type: "Complete", status: "True", lastTransitionTime: T(-10) }] }),
    pods: [pod("late")],
    want: ["release late"],
  },
  {
    name: "being deleted: every finalizer goes",
    job: job({ completions: 2 }, running, { deletionTimestamp: T(-1), finalizers: ["foregroundDeletion"] }),
    pods: [pod("a"), pod("b", { phase: "Succeeded" })],
    want: ["release a", "release b"],
  },
  {
    name: "Indexed: the lowest pending indexes, hostname <job>-<index>",
    job: job({ completions: 3, parallelism: 2, completionMode: "Indexed" }),
    want: ["create pi-0- index=0 host=pi-0", "create pi-1- index=1 host=pi-1", "status active=2 ready=0 succeeded=0 failed=0 start=now"],
  },
  {
    name: "Indexed: a succeeded index is recorded and skipped",
    job: job({ completions: 3, parallelism: 2, completionMode: "Indexed" }, { ...running, completedIndexes: "0" , succeeded: 1 }),
    pods: [pod("p1", { index: 1, phase: "Succeeded" }), pod("p2", { index: 2 })],
    want: ["status active=1 ready=0 succeeded=2 failed=0 uncounted.succeeded=uid-p1 indexes=0,1 start=" + T(-30), "release p1"],
  },
  {
    name: "Indexed: a failed index is retried",
    job: job({ completions: 2, parallelism: 2, completionMode: "Indexed" }, running),
    pods: [pod("p0", { index: 0, phase: "Failed" }), pod("p1", { index: 1 })],
    policy: { baseMs: 0, maxMs: 0 },
    want: ["create pi-0- index=0 host=pi-0", "status active=2 ready=0 succeeded=0 failed=0 uncounted.failed=uid-p0 start=" + T(-30), "release p0"],
  },
  {
    name: "Indexed: duplicates and out-of-range indexes are deleted",
    job: job({ completions: 2, parallelism: 2, completionMode: "Indexed" }, running),
    pods: [pod("x", { index: 0, node: "n", ready: true }), pod("y", { index: 0 }), pod("z", { index: 7 }), pod("w", { index: 1, node: "n" })],
    want: ["delete z", "delete y", "status active=2 ready=1 succeeded=0 failed=0 start=" + T(-30)],
  },
];

describe("planJob", () => {
  for (const c of cases) {
    test(c.name, () => {
      const plan = planJob({ job: c.job, pods: c.pods ?? [], now: NOW, backoff: c.backoff, backoffPolicy: c.policy });
      expect(render(plan)).toEqual(c.want);
    });
  }

  test("the back-off record counts consecutive failures and resets on success", () => {
    const j = job({ completions: 3, parallelism: 3, backoffLimit: 9 }, running);
    const failed = planJob({ job: j, pods: [pod("a", { phase: "Failed" }), pod("b", { phase: "Failed" })], now: NOW, backoff: { failures: 1, lastFailureMs: NOW - 1 } });
    expect(failed.backoff).toEqual({ failures: 3, lastFailureMs: NOW });
    const success = planJob({ job: j, pods: [pod("a", { phase: "Succeeded" })], now: NOW, backoff: { failures: 3, lastFailureMs: NOW - 1 } });
    expect(success.backoff.failures).toBe(0);
  });

  test("created pods carry the finalizer, the controller reference and the template labels", () => {
    const plan = planJob({ job: job({ completions: 1 }), pods: [], now: NOW });
    const create = plan.actions.find((a) => a.type === "createPod");
    if (create?.type !== "createPod") throw new Error("no createPod");
    expect(create.pod.metadata.finalizers).toEqual([JOB_TRACKING_FINALIZER]);
    expect(create.pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Job", uid: "job-uid", controller: true });
    expect(create.pod.metadata.labels?.["batch.kubernetes.io/controller-uid"]).toBe("job-uid");
  });
});

describe("completed indexes", () => {
  const table: [string, number, string][] = [
    ["", 5, ""],
    ["0,1,2,4", 5, "0-2,4"],
    ["3,1", 5, "1,3"],
    ["0-1,5-9", 7, "0,1,5,6"],
    ["2-4,x,3", 10, "2-4"],
  ];
  for (const [text, completions, want] of table) {
    test(`"${text}" below ${completions} -> "${want}"`, () => {
      expect(formatCompletedIndexes(parseCompletedIndexes(text, completions))).toBe(want);
    });
  }
});
