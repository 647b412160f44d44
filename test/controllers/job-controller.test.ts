// The Job controller on the real store. There is no kubelet: the test plays
// it by setting pod phases through the status subresource.

import { afterEach, describe, expect, test } from "bun:test";
import { JobController } from "../../core/controllers/job/job-controller.ts";
import { JOB_COMPLETION_INDEX_ANNOTATION, JOB_TRACKING_FINALIZER } from "../../core/controllers/job/job-pods.ts";
import { JOB_NAME_LABEL, type Job } from "../../core/resources/batch.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import { Informer } from "../../core/informer/informer.ts";
import { registerStandardIndexes } from "../../core/informer/indexes.ts";
import { eventually, startControllerHarness, type ControllerHarness } from "./harness.ts";

let h: ControllerHarness;

afterEach(async () => {
  expect(h.errors).toEqual([]);
  await h.stop();
});

const NO_BACKOFF = { podFailureBackoff: { baseMs: 0, maxMs: 0 } };

async function start(): Promise<ControllerHarness> {
  h = await startControllerHarness((ctx) => [new JobController(ctx, NO_BACKOFF)]);
  return h;
}

const template = { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } };

async function createJob(name: string, spec: Record<string, unknown>): Promise<void> {
  await h.registry.create("Job", "default", { metadata: { name }, spec: { template, ...spec } });
}

function job(name: string): Job | undefined {
  return h.informer.get("Job", "default", name) as unknown as Job | undefined;
}

function pods(name: string): KubeObject[] {
  return h.informer.list("Pod", "default").filter((p) => p.metadata.labels?.[JOB_NAME_LABEL] === name);
}

function phase(p: KubeObject): string {
  return (p.status as { phase?: string } | undefined)?.phase ?? "Pending";
}

function running(name: string): KubeObject[] {
  return pods(name).filter((p) => !p.metadata.deletionTimestamp && phase(p) !== "Succeeded" && phase(p) !== "Failed");
}

async function setPhase(p: KubeObject, value: "Running" | "Succeeded" | "Failed"): Promise<void> {
  await h.registry.patch("Pod", "default", p.metadata.name ?? "", "application/merge-patch+json", { status: { phase: value } }, "status");
}

function condition(name: string, type: string): string | undefined {
  const c = job(name)?.status.conditions?.find((x) => x.type === type && x.status === "True");
  return c ? (c.reason ?? "") : undefined;
}

/** `Reason x count` per reason of the events about `name`, summed over messages. */
async function eventReasons(name: string): Promise<string[]> {
  const { items } = await h.registry.list("Event", { namespace: "default" });
  const counts = new Map<string, number>();
  for (const e of items) {
    if ((e.involvedObject as { name?: string }).name !== name) continue;
    counts.set(e.reason as string, (counts.get(e.reason as string) ?? 0) + (e.count as number));
  }
  return [...counts].map(([r, n]) => `${r}x${n}`).sort();
}

async function waitRunning(name: string, n: number): Promise<KubeObject[]> {
  const got = await eventually(() => running(name), (ps) => ps.length === n && job(name)?.status.active === n);
  expect(got.length).toBe(n);
  return got;
}

describe("JobController", () => {
  test("completions 3, parallelism 2: failures below backoffLimit are replaced, counts survive deleted pods", async () => {
    await start();
    await createJob("work", { completions: 3, parallelism: 2, backoffLimit: 2 });
    const [a, b] = await waitRunning("work", 2);
    expect(a!.metadata.finalizers).toEqual([JOB_TRACKING_FINALIZER]);
    expect(job("work")?.status.startTime).toBeDefined();

    await setPhase(a!, "Failed");
    await eventually(() => job("work")?.status.failed, (f) => f === 1);
    const second = await waitRunning("work", 2);
    expect(second.map((p) => p.metadata.name)).not.toContain(a!.metadata.name);

    // The counted pod has lost its finalizer; deleting it must not change the count.
    await eventually(() => h.informer.get("Pod", "default", a!.metadata.name!)?.metadata.finalizers ?? [], (f) => f.length === 0);
    await h.registry.delete("Pod", "default", a!.metadata.name!);

    await setPhase(b!, "Succeeded");
    // Deleted right away by the test: the finalizer keeps it until it is counted.
    await h.registry.delete("Pod", "default", b!.metadata.name!);
    await eventually(() => job("work")?.status.succeeded, (s) => s === 1);
    expect(h.informer.get("Pod", "default", b!.metadata.name!)).toBeUndefined();

    const [c, d] = await waitRunning("work", 2);
    await setPhase(c!, "Succeeded");
    await setPhase(d!, "Succeeded");
    await eventually(() => condition("work", "Complete"), (r) => r !== undefined);
    const s = job("work")!.status;
    expect({ succeeded: s.succeeded, failed: s.failed, active: s.active }).toEqual({ succeeded: 3, failed: 1, active: 0 });
    expect(s.completionTime).toBeDefined();
    expect(condition("work", "SuccessCriteriaMet")).toBe("CompletionsReached");
    expect(s.uncountedTerminatedPods).toEqual({});
    expect(pods("work").every((p) => !p.metadata.finalizers?.length)).toBe(true);
    // Nothing is created after completion.
    await Bun.sleep(50);
    expect(running("work")).toEqual([]);
    expect(await eventually(() => eventReasons("work"), (r) => r.includes("Completedx1"))).toEqual(["Completedx1", "SuccessfulCreatex4"]);
  });

  test("failures beyond backoffLimit fail the Job and delete its active pods", async () => {
    await start();
    await createJob("flaky", { completions: 4, parallelism: 3, backoffLimit: 1 });
    const [a, b] = await waitRunning("flaky", 3);
    await setPhase(a!, "Failed");
    await setPhase(b!, "Failed");
    await eventually(() => condition("flaky", "Failed"), (r) => r !== undefined);
    expect(condition("flaky", "Failed")).toBe("BackoffLimitExceeded");
    expect(condition("flaky", "FailureTarget")).toBe("BackoffLimitExceeded");
    const s = job("flaky")!.status;
    expect(running("flaky")).toEqual([]);
    expect(pods("flaky").filter((p) => p.metadata.finalizers?.length)).toEqual([]);
    const reasons = await eventually(() => eventReasons("flaky"), (r) => r.some((x) => x.startsWith("BackoffLimit")));
    expect(reasons).toContain("BackoffLimitExceededx1");
    // Every pod it made failed: the two the test failed, and the ones deleted because the Job failed (as in Kubernetes).
    const created = Number(reasons.find((r) => r.startsWith("SuccessfulCreate"))?.split("x")[1]);
    expect(created).toBeGreaterThanOrEqual(3);
    expect({ active: s.active, failed: s.failed, succeeded: s.succeeded }).toEqual({ active: 0, failed: created, succeeded: 0 });
  });

  test("a running pod deleted by someone counts as failed and is replaced", async () => {
    await start();
    await createJob("lost", { completions: 1, backoffLimit: 3 });
    const [a] = await waitRunning("lost", 1);
    await h.registry.delete("Pod", "default", a!.metadata.name!);
    await eventually(() => job("lost")?.status.failed, (f) => f === 1);
    const [b] = await waitRunning("lost", 1);
    expect(b!.metadata.name).not.toBe(a!.metadata.name);
    expect(h.informer.get("Pod", "default", a!.metadata.name!)).toBeUndefined();
  });

  test("activeDeadlineSeconds fails the Job with DeadlineExceeded", async () => {
    await start();
    await createJob("slow", { completions: 1, activeDeadlineSeconds: 1 });
    await waitRunning("slow", 1);
    const reason = await eventually(() => condition("slow", "Failed"), (r) => r !== undefined, 10_000);
    expect(reason).toBe("DeadlineExceeded");
    expect(running("slow")).toEqual([]);
  }, 20_000);

  test("ttlSecondsAfterFinished deletes the finished Job and its pods", async () => {
    await start();
    await createJob("brief", { completions: 1, ttlSecondsAfterFinished: 1 });
    const [a] = await waitRunning("brief", 1);
    await setPhase(a!, "Succeeded");
    await eventually(() => condition("brief", "Complete"), (r) => r !== undefined);
    const gone = await eventually(() => job("brief") === undefined && pods("brief").length === 0, (x) => x, 10_000);
    expect(gone).toBe(true);
  }, 20_000);

  test("suspend deletes active pods without counting them; resume starts again", async () => {
    await start();
    await createJob("paused", { completions: 2, parallelism: 2, suspend: true });
    await eventually(() => condition("paused", "Suspended"), (r) => r !== undefined);
    expect(pods("paused")).toEqual([]);
    expect(job("paused")?.status.startTime).toBeUndefined();

    await h.registry.patch("Job", "default", "paused", "application/merge-patch+json", { spec: { suspend: false } });
    await waitRunning("paused", 2);
    expect(job("paused")?.status.conditions?.find((c) => c.type === "Suspended")?.reason).toBe("JobResumed");

    await h.registry.patch("Job", "default", "paused", "application/merge-patch+json", { spec: { suspend: true } });
    await eventually(() => pods("paused").length, (n) => n === 0);
    const s = job("paused")!.status;
    expect({ active: s.active, failed: s.failed }).toEqual({ active: 0, failed: 0 });
    expect(condition("paused", "Suspended")).toBe("JobSuspended");
  });

  test("Indexed: one pod per completion index, failed indexes retried", async () => {
    await start();
    await createJob("idx", { completions: 3, parallelism: 3, completionMode: "Indexed" });
    const ps = await waitRunning("idx", 3);
    const byIndex = new Map(ps.map((p) => [p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION], p]));
    expect([...byIndex.keys()].sort()).toEqual(["0", "1", "2"]);
    expect((byIndex.get("1")!.spec as { hostname?: string }).hostname).toBe("idx-1");
    await setPhase(byIndex.get("1")!, "Succeeded");
    await setPhase(byIndex.get("0")!, "Failed");
    await eventually(() => job("idx")?.status.completedIndexes, (c) => c === "1");
    const again = await waitRunning("idx", 2);
    expect(again.map((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION]).sort()).toEqual(["0", "2"]);
    for (const p of again) await setPhase(p, "Succeeded");
    await eventually(() => condition("idx", "Complete"), (r) => r !== undefined);
    expect(job("idx")?.status).toMatchObject({ completedIndexes: "0-2", succeeded: 3, failed: 1 });
  });

  test("deleting a running Job releases its pods so they go", async () => {
    await start();
    await createJob("doomed", { completions: 2, parallelism: 2 });
    await waitRunning("doomed", 2);
    await h.registry.delete("Job", "default", "doomed", { propagationPolicy: "Background" });
    const left = await eventually(() => pods("doomed").length, (n) => n === 0);
    expect(left).toBe(0);
  });

  test("a restarted controller carries on from the stored status and finalizers", async () => {
    let first: JobController | undefined;
    h = await startControllerHarness((ctx) => [(first = new JobController(ctx, NO_BACKOFF))]);
    await createJob("again", { completions: 2, parallelism: 2 });
    const [a, b] = await waitRunning("again", 2);
    first!.stop();
    // While no controller runs, a pod finishes and the test deletes it.
    await setPhase(a!, "Succeeded");
    await h.registry.delete("Pod", "default", a!.metadata.name!);

    const informer = new Informer(h.store);
    registerStandardIndexes(informer);
    const second = new JobController({ ...h.ctx, informer }, NO_BACKOFF);
    await informer.start();
    second.start();
    try {
      const status = await eventually(() => (informer.get("Job", "default", "again") as unknown as Job).status, (st) => st.succeeded === 1 && st.active === 1);
      expect({ succeeded: status.succeeded, active: status.active }).toEqual({ succeeded: 1, active: 1 });
      const left = informer.list("Pod", "default").filter((p) => p.metadata.labels?.[JOB_NAME_LABEL] === "again");
      expect(left.map((p) => p.metadata.name)).toEqual([b!.metadata.name]);
      expect(left[0]!.metadata.finalizers).toEqual([JOB_TRACKING_FINALIZER]);
    } finally {
      second.stop();
      informer.stop();
    }
  });
});
