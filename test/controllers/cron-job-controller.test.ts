// The CronJob controller on the real store, on seconds schedules (tug's
// 6-field extension). Most tests play the Job controller by writing Job
// status; the last runs the real Job controller and plays the kubelet.

import { afterEach, describe, expect, test } from "bun:test";
import { rfc3339 } from "../../core/clock.ts";
import { CronJobController } from "../../core/controllers/cron-job/cron-job-controller.ts";
import { CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION } from "../../core/controllers/cron-job/plan-cron-run.ts";
import { JobController } from "../../core/controllers/job/job-controller.ts";
import type { Controller } from "../../core/controllers/controller.ts";
import type { ControllerContext } from "../../core/controllers/context.ts";
import { JOB_NAME_LABEL, type CronJob, type Job } from "../../core/resources/batch.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import { eventually, startControllerHarness, type ControllerHarness } from "./harness.ts";

let h: ControllerHarness;

afterEach(async () => {
  expect(h.errors).toEqual([]);
  await h.stop();
});

async function start(build: (ctx: ControllerContext) => Controller[] = (ctx) => [new CronJobController(ctx, { defaultTimeZone: "UTC" })]): Promise<void> {
  h = await startControllerHarness(build);
}

const jobTemplate = { spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } } };

async function createCronJob(name: string, spec: Record<string, unknown>): Promise<void> {
  await h.registry.create("CronJob", "default", { metadata: { name }, spec: { schedule: "* * * * * *", jobTemplate, ...spec } });
}

function cronJob(name: string): CronJob {
  return h.informer.get("CronJob", "default", name) as unknown as CronJob;
}

function jobs(): Job[] {
  return (h.informer.list("Job", "default") as unknown as Job[]).sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
}

function finished(j: Job): boolean {
  return (j.status.conditions ?? []).some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
}

async function finish(j: Job, type: "Complete" | "Failed"): Promise<void> {
  const now = rfc3339(Date.now());
  const status = { startTime: j.status.startTime ?? now, conditions: [{ type, status: "True", lastTransitionTime: now }], ...(type === "Complete" ? { completionTime: now } : {}) };
  await h.registry.patch("Job", "default", j.metadata.name ?? "", "application/merge-patch+json", { status }, "status");
}

async function eventCount(reason: string): Promise<number> {
  const { items } = await h.registry.list("Event", { namespace: "default" });
  return items.filter((e) => e.reason === reason).reduce((n, e) => n + ((e.count as number | undefined) ?? 1), 0);
}

describe("CronJobController", () => {
  test("a seconds schedule creates one Job per run, named by its second, listed as active", async () => {
    await start();
    await createCronJob("tick", {});
    const made = await eventually(jobs, (js) => js.length >= 2, 4000);
    expect(made.length).toBeGreaterThanOrEqual(2);
    for (const j of made) {
      const scheduled = Date.parse(j.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION] ?? "");
      expect(j.metadata.name).toBe(`tick-${scheduled / 1000}`);
      expect(j.metadata.ownerReferences?.[0]).toMatchObject({ kind: "CronJob", name: "tick", controller: true });
    }
    await eventually(
      () => cronJob("tick").status.active?.length ?? 0,
      (n) => n >= 2,
    );
    const active = cronJob("tick").status.active ?? [];
    expect(new Set(active.map((r) => r.name)).size).toBe(active.length);
    const cj = cronJob("tick");
    expect(cj.status.lastScheduleTime).toBeDefined();
  });

  test("Forbid skips runs while a Job is active, and starts again once it finishes", async () => {
    await start();
    await createCronJob("solo", { concurrencyPolicy: "Forbid" });
    const [first] = await eventually(jobs, (js) => js.length === 1, 3000);
    await Bun.sleep(2200);
    expect(jobs().length).toBe(1);
    expect(await eventually(() => eventCount("JobAlreadyActive"), (n) => n > 0)).toBeGreaterThan(0);

    await finish(first!, "Complete");
    const after = await eventually(jobs, (js) => js.length === 2, 3000);
    expect(after.length).toBe(2);
    const cj = await eventually(() => cronJob("solo"), (c) => c.status.lastSuccessfulTime !== undefined && c.status.active?.length === 1);
    expect(cj.status.active?.[0]?.name).not.toBe(first!.metadata.name);
    expect(cj.status.lastSuccessfulTime).toBeDefined();
  });

  test("Replace deletes the active Job when the next run starts", async () => {
    await start();
    await createCronJob("swap", { concurrencyPolicy: "Replace" });
    const [first] = await eventually(jobs, (js) => js.length === 1, 3000);
    await eventually(() => h.informer.get("Job", "default", first!.metadata.name!), (j) => j === undefined, 3000);
    expect(h.informer.get("Job", "default", first!.metadata.name!)).toBeUndefined();
    const cj = await eventually(
      () => cronJob("swap"),
      (c) => c.status.active?.length === 1 && c.status.active[0]?.name !== first!.metadata.name,
    );
    expect(cj.status.active?.map((r) => r.name)).toEqual(jobs().map((j) => j.metadata.name));
    expect(await eventually(() => eventCount("SuccessfulDelete"), (n) => n > 0)).toBeGreaterThan(0);
  });

  test("history limits keep the newest finished Jobs", async () => {
    await start();
    await createCronJob("trim", { successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
    const outcome = new Map<string, "Complete" | "Failed">();
    // Finish every Job as it appears: Complete, Complete, Failed, Complete, ...
    const end = Date.now() + 4500;
    while (Date.now() < end) {
      for (const j of jobs()) {
        if (outcome.has(j.metadata.name!)) continue;
        const type = outcome.size % 3 === 2 ? "Failed" : "Complete";
        outcome.set(j.metadata.name!, type);
        await finish(j, type);
      }
      await Bun.sleep(50);
    }
    const byTime = (names: string[]) => names.sort((a, b) => Number(a.split("-")[1]) - Number(b.split("-")[1]));
    const completed = byTime([...outcome].filter(([, t]) => t === "Complete").map(([n]) => n));
    const failed = byTime([...outcome].filter(([, t]) => t === "Failed").map(([n]) => n));
    expect(completed.length).toBeGreaterThanOrEqual(3);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    const want = [...completed.slice(-2), ...failed.slice(-1)].sort();
    const left = await eventually(
      () => jobs().filter(finished).map((j) => j.metadata.name!).sort(),
      (names) => JSON.stringify(names) === JSON.stringify(want),
    );
    expect(left).toEqual(want);
  });

  test("end to end with the Job controller: pods succeed, the CronJob records the success", async () => {
    await start((ctx) => [new CronJobController(ctx, { defaultTimeZone: "UTC" }), new JobController(ctx)]);
    await createCronJob("e2e", { concurrencyPolicy: "Forbid", successfulJobsHistoryLimit: 1 });
    const pods = () => h.informer.list("Pod", "default");
    const finishPods = async () => {
      for (const p of pods()) {
        if ((p.status as { phase?: string } | undefined)?.phase === "Succeeded" || p.metadata.deletionTimestamp) continue;
        await h.registry.patch("Pod", "default", p.metadata.name!, "application/merge-patch+json", { status: { phase: "Succeeded" } }, "status");
      }
    };
    const end = Date.now() + 3500;
    while (Date.now() < end) {
      await finishPods();
      await Bun.sleep(50);
    }
    const cj = await eventually(() => cronJob("e2e"), (c) => c.status.lastSuccessfulTime !== undefined);
    expect(cj.status.lastSuccessfulTime).toBeDefined();
    const finishedJobs = await eventually(
      () => jobs().filter(finished),
      (js) => js.length === 1,
    );
    expect(finishedJobs.length).toBe(1);
    // Pods of trimmed Jobs go with them (the garbage collector, once the Job controller has counted them).
    const strays = await eventually(
      () => pods().filter((p: KubeObject) => !h.informer.get("Job", "default", p.metadata.labels?.[JOB_NAME_LABEL] ?? "")),
      (ps) => ps.length === 0,
    );
    expect(strays).toEqual([]);
  });
});
