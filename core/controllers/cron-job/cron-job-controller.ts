// The CronJob controller: reconciles one CronJob key (`namespace/name`) from
// the informer (the CronJob and the Jobs it controls), applies planCronJob's
// actions through the registry, and looks again at the next scheduled time.
// A Job event brings its CronJob back, so Forbid and the history limits react
// as soon as a Job finishes. Nothing is reconciled before start(), which the
// composition root calls once the informer has filled its cache.

import { TugError } from "../../errors.ts";
import type { CronJob, Job } from "../../resources/batch.ts";
import type { ObjectReference } from "../../resources/meta.ts";
import type { KubeObject } from "../../resources/object.ts";
import { BY_OWNER, registerStandardIndexes } from "../../informer/indexes.ts";
import type { Controller } from "../controller.ts";
import { nameKey, splitKey, type ControllerContext, controllerQueue } from "../context.ts";
import { controllerOf, isControlledBy } from "../owners.ts";
import { WorkQueue } from "../work-queue.ts";
import { RequeueTimers } from "../requeue-timers.ts";
import { jobRef, planCronJob, type CronJobAction } from "./plan-cron-job.ts";
import { hostTimeZone, isValidTimeZone } from "./time-zone.ts";
import { errorText, isLookAgain } from "../apply-errors.ts";

export interface CronJobControllerOptions {
  /**
   * The zone for schedules without spec.timeZone. Kubernetes uses the
   * controller's local zone; so does the default here.
   */
  defaultTimeZone?: string;
}

const LOOK_AGAIN_MS = 20;

export class CronJobController implements Controller {
  readonly name = "cronjob";
  readonly queue: WorkQueue;
  private readonly timers: RequeueTimers;
  private readonly defaultTimeZone: string;
  /** Keys seen before start(): the informer may still be filling its cache, so nothing is reconciled yet. */
  private early: Set<string> | undefined = new Set();

  constructor(
    private readonly ctx: ControllerContext,
    opts: CronJobControllerOptions = {},
  ) {
    const zone = opts.defaultTimeZone ?? hostTimeZone();
    this.defaultTimeZone = isValidTimeZone(zone) ? zone : "UTC";
    registerStandardIndexes(ctx.informer);
    this.queue = controllerQueue(ctx, this.name, (k) => this.reconcile(k));
    this.timers = new RequeueTimers(ctx.clock, (k) => this.queue.add(k));
    const add = (key: string) => (this.early ? this.early.add(key) : this.queue.add(key));
    const observe = (o: KubeObject) => {
      if (o.kind === "CronJob") add(nameKey(o));
      if (o.kind !== "Job") return;
      const ref = controllerOf(o);
      if (ref?.kind === "CronJob") add(`${o.metadata.namespace ?? ""}/${ref.name}`);
    };
    ctx.informer.on({ add: observe, update: observe, delete: observe });
  }

  /** Call once the informer has started: reconciling begins with a full cache. */
  start(): void {
    const early = this.early;
    this.early = undefined;
    for (const k of early ?? []) this.queue.add(k);
  }

  stop(): void {
    this.queue.stop();
    this.timers.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const obj = this.ctx.informer.get("CronJob", namespace, name);
    if (!obj) {
      this.timers.cancel(key);
      return;
    }
    const jobs = this.ctx.informer.byIndex(BY_OWNER, obj.metadata.uid ?? "").filter((j) => j.kind === "Job" && isControlledBy(j, obj));
    const now = this.ctx.clock.now();
    const nameTaken = (jobName: string) => {
      const j = this.ctx.informer.get("Job", namespace, jobName);
      return j !== undefined && !isControlledBy(j, obj);
    };
    const plan = planCronJob({ cronJob: obj as unknown as CronJob, jobs: jobs as unknown as Job[], now, defaultTimeZone: this.defaultTimeZone, nameTaken });
    if (!(await this.apply(obj, plan.actions))) {
      this.timers.at(key, now + LOOK_AGAIN_MS);
      return;
    }
    // A schedule that changed to a later time leaves an earlier timer behind; it only costs a pass.
    if (plan.requeueAt !== undefined) this.timers.at(key, plan.requeueAt);
  }

  /** Applies the actions in order; false when one met a stale cache and the CronJob should be looked at again. */
  private async apply(cronJob: KubeObject, actions: readonly CronJobAction[]): Promise<boolean> {
    const { registry, events } = this.ctx;
    const namespace = cronJob.metadata.namespace ?? "";
    const created: ObjectReference[] = [];
    for (const a of actions) {
      switch (a.type) {
        case "event":
          events.record(cronJob, a.eventType, a.reason, a.message);
          break;
        case "deleteJob": {
          const jobName = a.job.metadata.name ?? "";
          try {
            await registry.delete("Job", namespace, jobName, { propagationPolicy: "Background", preconditions: { uid: a.job.metadata.uid } });
            events.record(cronJob, "Normal", "SuccessfulDelete", `Deleted job ${jobName}`);
          } catch (e) {
            if (!(e instanceof TugError && (e.code === "NotFound" || e.code === "Conflict"))) throw e;
          }
          break;
        }
        case "createJob":
          try {
            const job = await registry.create("Job", namespace, a.job);
            created.push(jobRef(job));
            events.record(cronJob, "Normal", "SuccessfulCreate", `Created job ${job.metadata.name}`);
          } catch (e) {
            if (isLookAgain(e)) return false;
            events.record(cronJob, "Warning", "FailedCreate", `Error creating job: ${errorText(e)}`);
            throw e;
          }
          break;
        case "writeStatus": {
          const status = created.length ? { ...a.status, active: [...(a.status.active ?? []), ...created] } : a.status;
          try {
            await registry.replace("CronJob", namespace, cronJob.metadata.name ?? "", { ...cronJob, status }, "status");
          } catch (e) {
            if (isLookAgain(e)) return false;
            throw e;
          }
          break;
        }
      }
    }
    return true;
  }
}
