// The StatefulSet controller: keyed by namespace/name, it reads the
// StatefulSet and the pods it controls from the informer, asks
// planStatefulSet what to do, creates and deletes pods through the registry
// and writes the status. Woken by StatefulSets and by the pods they control.
// Pods are left to the scheduler; orphans are not adopted; volumeClaimTemplates
// are ignored (no PersistentVolumeClaims in tug yet).

import { TugError } from "../../errors.ts";
import type { StatefulSet } from "../../resources/apps.ts";
import type { KubeObject } from "../../resources/object.ts";
import type { Informer } from "../../informer/informer.ts";
import { registerStandardIndexes } from "../../informer/indexes.ts";
import { nameKey, splitKey, type ControllerContext, controllerQueue } from "../context.ts";
import type { Controller } from "../controller.ts";
import { controllerOf, controlledBy } from "../owners.ts";
import { WorkQueue, type ReconcileResult } from "../work-queue.ts";
import { planStatefulSet, type StatefulSetAction } from "./plan.ts";
import { sameStatefulSetStatus, type StatefulSetStatusFields } from "./status.ts";

/** How soon to look again after a write raced with another (AlreadyExists, Conflict). */
const LOOK_AGAIN_MS = 100;

function hasCode(e: unknown, ...codes: TugError["code"][]): boolean {
  return e instanceof TugError && codes.includes(e.code);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class StatefulSetController implements Controller {
  readonly name = "statefulset";
  readonly queue: WorkQueue;
  private readonly informer: Informer;

  constructor(private readonly ctx: ControllerContext) {
    const informer = (this.informer = ctx.informer);
    registerStandardIndexes(informer);
    this.queue = controllerQueue(ctx, this.name, (key) => this.reconcile(key));
    informer.on({
      add: (o) => this.observe(o),
      update: (o, old) => this.observe(o, old),
      delete: (o) => this.observe(o),
    });
  }

  stop(): void {
    this.queue.stop();
  }

  private observe(o: KubeObject, old?: KubeObject): void {
    if (o.kind === "StatefulSet") this.queue.add(nameKey(o));
    else if (o.kind === "Pod") {
      this.enqueueOwner(o);
      if (old) this.enqueueOwner(old);
    }
  }

  private enqueueOwner(pod: KubeObject): void {
    const ref = controllerOf(pod);
    if (ref?.kind === "StatefulSet") this.queue.add(`${pod.metadata.namespace ?? ""}/${ref.name}`);
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const obj = this.informer.get("StatefulSet", namespace, name);
    if (!obj) return;
    const sts = obj as StatefulSet;
    const pods = controlledBy(this.informer, sts);
    const plan = planStatefulSet({ sts, pods, now: this.ctx.clock.now() });

    const { raced, error } = await this.apply(sts, plan.actions);
    const statusRaced = await this.writeStatus(sts, plan.status);
    if (error) throw error;
    const waits = [plan.requeueAfter, raced || statusRaced ? LOOK_AGAIN_MS : undefined].filter((w) => w !== undefined);
    return waits.length ? { requeueAfter: Math.min(...waits) } : undefined;
  }

  /** Applies the actions in order; reports the first error after trying the rest. */
  private async apply(sts: StatefulSet, actions: readonly StatefulSetAction[]): Promise<{ raced: boolean; error?: unknown }> {
    const namespace = sts.metadata.namespace ?? "";
    const setName = sts.metadata.name ?? "";
    const owner = sts as KubeObject;
    let raced = false;
    let error: unknown;
    for (const a of actions) {
      const podName = a.pod.metadata.name ?? "";
      try {
        if (a.type === "create") {
          await this.ctx.registry.create("Pod", namespace, a.pod);
          this.ctx.events.record(owner, "Normal", "SuccessfulCreate", `create Pod ${podName} in StatefulSet ${setName} successful`);
          continue;
        }
        if (a.reason === "failed") this.ctx.events.record(owner, "Warning", "RecreatingFailedPod", `StatefulSet ${namespace}/${setName} is recreating failed Pod ${podName}`);
        if (a.reason === "succeeded") this.ctx.events.record(owner, "Normal", "RecreatingTerminatedPod", `StatefulSet ${namespace}/${setName} is recreating terminated Pod ${podName}`);
        // The uid precondition: never delete a newer pod that took the same name.
        await this.ctx.registry.delete("Pod", namespace, podName, { preconditions: { uid: a.pod.metadata.uid } });
        this.ctx.events.record(owner, "Normal", "SuccessfulDelete", `delete Pod ${podName} in StatefulSet ${setName} successful`);
      } catch (e) {
        if (hasCode(e, "NotFound") && a.type === "delete") continue;
        if (hasCode(e, "AlreadyExists", "Conflict")) {
          raced = true;
          continue;
        }
        this.ctx.events.record(owner, "Warning", a.type === "create" ? "FailedCreate" : "FailedDelete", `${a.type} Pod ${podName} in StatefulSet ${setName} failed error: ${message(e)}`);
        error ??= e;
      }
    }
    return { raced, error };
  }

  /** Writes the status subresource when it changed; true when it should be looked at again. */
  private async writeStatus(sts: StatefulSet, status: StatefulSetStatusFields): Promise<boolean> {
    if (sameStatefulSetStatus(sts.status, status)) return false;
    try {
      await this.ctx.registry.patch("StatefulSet", sts.metadata.namespace ?? "", sts.metadata.name ?? "", "application/merge-patch+json", { status }, "status");
      return false;
    } catch (e) {
      if (hasCode(e, "NotFound")) return false;
      if (hasCode(e, "Conflict")) return true;
      throw e;
    }
  }
}
