// The Job controller: reconciles one Job key (`namespace/name`) by reading
// the Job and the pods it controls from the informer, asking planJob what to
// do and applying the actions in order through the registry. A second queue
// releases orphaned pods: a pod holding the job-tracking finalizer whose Job
// is gone (or that no longer names a Job as controller) loses the finalizer
// so that deletion can finish. Nothing is reconciled before start(), which
// the composition root calls once the informer has filled its cache.

import { TugError } from "../../errors.ts";
import type { Job } from "../../resources/batch.ts";
import type { KubeObject } from "../../resources/object.ts";
import { BY_OWNER, BY_UID, registerStandardIndexes } from "../../informer/indexes.ts";
import type { Controller } from "../controller.ts";
import { nameKey, splitKey, type ControllerContext, controllerQueue } from "../context.ts";
import { controllerOf, controlledBy } from "../owners.ts";
import { WorkQueue } from "../work-queue.ts";
import type { BackoffPolicy, BackoffRecord } from "./job-backoff.ts";
import { hasTrackingFinalizer, JOB_TRACKING_FINALIZER } from "./job-pods.ts";
import { planJob, type JobAction } from "./plan-job.ts";
import { RequeueTimers } from "../requeue-timers.ts";
import { errorText, isLookAgain } from "../apply-errors.ts";

export interface JobControllerOptions {
  /** Delay before failed pods are replaced; Kubernetes' 10 s doubling to 6 min by default. */
  podFailureBackoff?: BackoffPolicy;
}

/** After a Conflict, NotFound or AlreadyExists the cache is about to change: look again shortly. */
const LOOK_AGAIN_MS = 20;

function ignoreGone(e: unknown): void {
  if (!(e instanceof TugError && (e.code === "NotFound" || e.code === "Conflict"))) throw e;
}

export class JobController implements Controller {
  readonly name = "job";
  readonly queue: WorkQueue;
  private readonly orphans: WorkQueue;
  private readonly timers: RequeueTimers;
  private readonly backoffs = new Map<string, BackoffRecord>();
  /** Keys seen before start(): the informer may still be filling its cache, so nothing is reconciled yet. */
  private early: { jobs: Set<string>; orphans: Set<string> } | undefined = { jobs: new Set(), orphans: new Set() };

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: JobControllerOptions = {},
  ) {
    const informer = ctx.informer;
    registerStandardIndexes(informer);
    this.queue = controllerQueue(ctx, this.name, (k) => this.reconcile(k));
    this.orphans = controllerQueue(ctx, this.name, (k) => this.releaseOrphan(k), `${this.name}-orphans`);
    this.timers = new RequeueTimers(ctx.clock, (k) => this.queue.add(k));
    informer.on({
      add: (o) => this.observe(o),
      update: (o) => this.observe(o),
      delete: (o) => {
        this.observe(o);
        if (o.kind !== "Job") return;
        for (const p of informer.byIndex(BY_OWNER, o.metadata.uid ?? "")) if (p.kind === "Pod" && hasTrackingFinalizer(p)) this.addOrphan(nameKey(p));
      },
    });
  }

  /** Call once the informer has started: reconciling begins with a full cache. */
  start(): void {
    const early = this.early;
    this.early = undefined;
    for (const k of early?.jobs ?? []) this.queue.add(k);
    for (const k of early?.orphans ?? []) this.orphans.add(k);
  }

  stop(): void {
    this.queue.stop();
    this.orphans.stop();
    this.timers.stop();
  }

  private addJob(key: string): void {
    if (this.early) this.early.jobs.add(key);
    else this.queue.add(key);
  }

  private addOrphan(key: string): void {
    if (this.early) this.early.orphans.add(key);
    else this.orphans.add(key);
  }

  private observe(o: KubeObject): void {
    if (o.kind === "Job") {
      this.addJob(nameKey(o));
      return;
    }
    if (o.kind !== "Pod") return;
    const ref = controllerOf(o);
    if (ref?.kind === "Job") this.addJob(`${o.metadata.namespace ?? ""}/${ref.name}`);
    if (hasTrackingFinalizer(o) && !this.ownerJob(o)) this.addOrphan(nameKey(o));
  }

  private ownerJob(pod: KubeObject): KubeObject | undefined {
    const ref = controllerOf(pod);
    if (ref?.kind !== "Job") return undefined;
    return this.ctx.informer.byIndex(BY_UID, ref.uid).find((o) => o.kind === "Job");
  }

  private async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const obj = this.ctx.informer.get("Job", namespace, name);
    if (!obj) {
      this.backoffs.delete(key);
      this.timers.cancel(key);
      return;
    }
    const pods = controlledBy(this.ctx.informer, obj);
    const now = this.ctx.clock.now();
    const plan = planJob({ job: obj as unknown as Job, pods, now, backoff: this.backoffs.get(key), backoffPolicy: this.opts.podFailureBackoff });
    if (!(await this.apply(obj, plan.actions))) {
      this.timers.at(key, now + LOOK_AGAIN_MS);
      return;
    }
    this.backoffs.set(key, plan.backoff);
    if (plan.requeueAt !== undefined) this.timers.at(key, plan.requeueAt);
  }

  /** Applies the actions in order; false when one met a stale cache and the Job should be looked at again. */
  private async apply(job: KubeObject, actions: readonly JobAction[]): Promise<boolean> {
    const { registry, events } = this.ctx;
    const namespace = job.metadata.namespace ?? "";
    const name = job.metadata.name ?? "";
    for (const a of actions) {
      switch (a.type) {
        case "deletePod": {
          const podName = a.pod.metadata.name ?? "";
          try {
            await registry.delete("Pod", namespace, podName, { preconditions: { uid: a.pod.metadata.uid } });
            events.record(job, "Normal", "SuccessfulDelete", `Deleted pod: ${podName}`);
          } catch (e) {
            ignoreGone(e);
          }
          break;
        }
        case "createPod": {
          try {
            const created = await registry.create("Pod", namespace, a.pod);
            events.record(job, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name}`);
          } catch (e) {
            if (isLookAgain(e)) return false;
            events.record(job, "Warning", "FailedCreate", `Error creating: ${errorText(e)}`);
            throw e;
          }
          break;
        }
        case "writeStatus": {
          try {
            await registry.replace("Job", namespace, name, { ...job, status: a.status }, "status");
          } catch (e) {
            if (isLookAgain(e)) return false;
            throw e;
          }
          break;
        }
        case "event":
          events.record(job, a.eventType, a.reason, a.message);
          break;
        case "removeFinalizer":
          await this.removeFinalizer(a.pod);
          break;
        case "deleteJob":
          await registry.delete("Job", namespace, name, { propagationPolicy: "Background", preconditions: { uid: job.metadata.uid } }).catch(ignoreGone);
          break;
      }
    }
    return true;
  }

  private async removeFinalizer(pod: KubeObject): Promise<void> {
    const key = { kind: "Pod", namespace: pod.metadata.namespace ?? "", name: pod.metadata.name ?? "" };
    await this.ctx.registry.store
      .update(key, (cur) =>
        cur.metadata.uid !== pod.metadata.uid
          ? cur
          : { ...cur, metadata: { ...cur.metadata, finalizers: (cur.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER) } },
      )
      .catch(ignoreGone);
  }

  private async releaseOrphan(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.ctx.informer.get("Pod", namespace, name);
    if (!pod || !hasTrackingFinalizer(pod) || this.ownerJob(pod)) return;
    // The cache says the Job is gone; releasing a live Job's pod would lose its count, so ask the store too.
    const ref = controllerOf(pod);
    if (ref?.kind === "Job") {
      const stored = await this.ctx.registry.store.get({ kind: "Job", namespace, name: ref.name });
      if (stored?.metadata.uid === ref.uid) return;
    }
    await this.removeFinalizer(pod);
  }
}
