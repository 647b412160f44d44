// The DaemonSet controller: keyed by namespace/name, it reads the DaemonSet,
// its pods and every Node from the informer, asks planDaemonSet what to do,
// creates and deletes pods through the registry and writes the status.
// Woken by DaemonSets, by the pods they control and by Nodes whose labels or
// taints change. Pods are created already bound (spec.nodeName): they bypass
// the scheduler. Orphaned pods matching the selector are not adopted.

import { deepEqual } from "../../deep-equal.ts";
import { TugError } from "../../errors.ts";
import type { DaemonSet } from "../../resources/apps.ts";
import type { Node } from "../../resources/cluster.ts";
import type { KubeObject } from "../../resources/object.ts";
import type { Informer } from "../../informer/informer.ts";
import { registerStandardIndexes } from "../../informer/indexes.ts";
import { nameKey, splitKey, type ControllerContext, controllerQueue } from "../context.ts";
import type { Controller } from "../controller.ts";
import { controllerOf, controlledBy } from "../owners.ts";
import { podNodeName } from "../pods.ts";
import { WorkQueue, type ReconcileResult } from "../work-queue.ts";
import { FailedPodBackoff } from "./failed-pod-backoff.ts";
import type { DaemonSetAction } from "./model.ts";
import { planDaemonSet } from "./plan.ts";
import { sameDaemonSetStatus, type DaemonSetStatusFields } from "./status.ts";

/** How soon to look again after a write raced with another (AlreadyExists, Conflict). */
const LOOK_AGAIN_MS = 100;

function hasCode(e: unknown, ...codes: TugError["code"][]): boolean {
  return e instanceof TugError && codes.includes(e.code);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Only a Node's name, labels and taints decide where daemons run; heartbeats do not. */
function placementChanged(node: KubeObject, old: KubeObject): boolean {
  const taints = (n: KubeObject) => (n.spec as { taints?: unknown } | undefined)?.taints;
  return !deepEqual(node.metadata.labels, old.metadata.labels) || !deepEqual(taints(node), taints(old));
}

export class DaemonSetController implements Controller {
  readonly name = "daemonset";
  readonly queue: WorkQueue;
  private readonly informer: Informer;
  private readonly backoff = new FailedPodBackoff();

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
    if (o.kind === "DaemonSet") this.queue.add(nameKey(o));
    else if (o.kind === "Pod") {
      this.enqueueOwner(o);
      if (old) this.enqueueOwner(old);
    } else if (o.kind === "Node" && (!old || placementChanged(o, old))) {
      for (const ds of this.informer.list("DaemonSet")) this.queue.add(nameKey(ds));
    }
  }

  private enqueueOwner(pod: KubeObject): void {
    const ref = controllerOf(pod);
    if (ref?.kind === "DaemonSet") this.queue.add(`${pod.metadata.namespace ?? ""}/${ref.name}`);
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const obj = this.informer.get("DaemonSet", namespace, name);
    if (!obj) {
      this.backoff.forget(key);
      return;
    }
    const ds = obj as DaemonSet;
    const pods = controlledBy(this.informer, ds);
    const nodes = this.informer.list("Node") as Node[];
    const now = this.ctx.clock.now();
    const plan = planDaemonSet({ ds, nodes, pods, now, failedBackoff: this.backoff.until(key, now) });

    const { raced, error } = await this.apply(ds, key, plan.actions, now);
    const statusRaced = await this.writeStatus(ds, plan.status);
    if (error) throw error;
    const waits = [plan.requeueAfter, raced || statusRaced ? LOOK_AGAIN_MS : undefined].filter((w) => w !== undefined);
    return waits.length ? { requeueAfter: Math.min(...waits) } : undefined;
  }

  /** Applies every action (one failing does not hold back the others); reports the first error. */
  private async apply(ds: DaemonSet, key: string, actions: readonly DaemonSetAction[], now: number): Promise<{ raced: boolean; error?: unknown }> {
    const namespace = ds.metadata.namespace ?? "";
    let raced = false;
    let error: unknown;
    for (const a of actions) {
      try {
        if (a.type === "create") {
          const pod = await this.ctx.registry.create("Pod", namespace, a.pod);
          this.ctx.events.record(ds as KubeObject, "Normal", "SuccessfulCreate", `Created pod: ${pod.metadata.name}`);
          continue;
        }
        const podName = a.pod.metadata.name ?? "";
        if (a.reason === "failed") {
          const node = podNodeName(a.pod);
          this.ctx.events.record(ds as KubeObject, "Warning", "FailedDaemonPod", `Found failed daemon pod ${namespace}/${podName} on node ${node}, will try to kill it`);
          this.backoff.next(key, node, now);
        }
        // No node will confirm the end of a pod whose node is gone: it goes at once.
        await this.ctx.registry.delete("Pod", namespace, podName, { preconditions: { uid: a.pod.metadata.uid }, ...(a.reason === "node-gone" ? { gracePeriodSeconds: 0 } : {}) });
        this.ctx.events.record(ds as KubeObject, "Normal", "SuccessfulDelete", `Deleted pod: ${podName}`);
      } catch (e) {
        // Another writer got there first: the next look sees the result.
        if (hasCode(e, "NotFound") && a.type === "delete") continue;
        if (hasCode(e, "AlreadyExists", "Conflict")) {
          raced = true;
          continue;
        }
        this.ctx.events.record(ds as KubeObject, "Warning", a.type === "create" ? "FailedCreate" : "FailedDelete", `Error ${a.type === "create" ? "creating" : "deleting"}: ${message(e)}`);
        error ??= e;
      }
    }
    return { raced, error };
  }

  /** Writes the status subresource when it changed; true when it should be looked at again. */
  private async writeStatus(ds: DaemonSet, status: DaemonSetStatusFields): Promise<boolean> {
    if (sameDaemonSetStatus(ds.status, status)) return false;
    try {
      await this.ctx.registry.patch("DaemonSet", ds.metadata.namespace ?? "", ds.metadata.name ?? "", "application/merge-patch+json", { status }, "status");
      return false;
    } catch (e) {
      if (hasCode(e, "NotFound")) return false;
      if (hasCode(e, "Conflict")) return true;
      throw e;
    }
  }
}
