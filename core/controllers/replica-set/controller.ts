// The ReplicaSet controller: keeps spec.replicas active pods matching the
// selector. Reconciles one `namespace/name` at a time from the informer:
// plan (claims, creates, deletes) -> apply through the registry -> status.
// Creates go in slow-start batches and are tracked as expectations, so pods
// still on their way to the informer are not created twice.

import { TugError } from "../../errors.ts";
import { BY_OWNER, BY_UID, registerStandardIndexes } from "../../informer/indexes.ts";
import type { Informer } from "../../informer/informer.ts";
import type { ReplicaSet } from "../../resources/apps.ts";
import type { KubeObject } from "../../resources/object.ts";
import { deepEqual } from "../../deep-equal.ts";
import { matchesLabels, selectorFromSpec } from "../../selectors/label-selector.ts";
import { type ControllerContext, controllerQueue } from "../context.ts";
import { nameKey, splitKey } from "../context.ts";
import type { Controller } from "../controller.ts";
import { controllerOf } from "../owners.ts";
import { podFromTemplate } from "../pods.ts";
import { TerminalError, WorkQueue, type ReconcileResult } from "../work-queue.ts";
import { applyClaim } from "./claim.ts";
import { Expectations } from "./expectations.ts";
import { planReplicaSet, slowStartBatches } from "./plan.ts";
import { nextAvailableIn, planReplicaSetStatus, replicaSetStatusChanged, type ManageFailure, type ReplicaSetStatus } from "./status.ts";

/** How soon to look again after a write met a newer state than the cache showed. */
const LOOK_AGAIN_MS = 50;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isCode(e: unknown, ...codes: string[]): boolean {
  return e instanceof TugError && codes.includes(e.code);
}

export class ReplicaSetController implements Controller {
  readonly name = "replicaset";
  readonly queue: WorkQueue;
  private readonly informer: Informer;
  private readonly expectations: Expectations;

  constructor(private readonly ctx: ControllerContext) {
    const informer = (this.informer = ctx.informer);
    registerStandardIndexes(informer);
    this.expectations = new Expectations(ctx.clock);
    this.queue = controllerQueue(ctx, this.name, (k) => this.reconcile(k));
    informer.on({
      add: (o) => {
        if (o.kind === "ReplicaSet") this.queue.add(nameKey(o));
        else if (o.kind === "Pod") this.podAdded(o);
      },
      update: (o, old) => {
        if (o.kind === "ReplicaSet") this.queue.add(nameKey(o));
        else if (o.kind === "Pod") this.podUpdated(o, old);
      },
      delete: (o) => {
        if (o.kind === "ReplicaSet") {
          this.expectations.forget(o.metadata.uid ?? "");
          this.queue.add(nameKey(o));
        } else if (o.kind === "Pod") this.podGone(o);
      },
    });
  }

  stop(): void {
    this.queue.stop();
  }

  /** The ReplicaSet reference of a pod's controller, if it is a ReplicaSet. */
  private ownerRs(pod: KubeObject) {
    const ref = controllerOf(pod);
    return ref?.kind === "ReplicaSet" ? ref : undefined;
  }

  private enqueueRef(pod: KubeObject, ref: { name: string }): void {
    this.queue.add(`${pod.metadata.namespace ?? ""}/${ref.name}`);
  }

  /** An orphan pod may be adopted by every ReplicaSet of its namespace that selects it. */
  private enqueueSelecting(pod: KubeObject): void {
    for (const rs of this.informer.list("ReplicaSet", pod.metadata.namespace ?? "")) {
      try {
        if (matchesLabels(selectorFromSpec((rs as ReplicaSet).spec.selector), pod.metadata.labels)) this.queue.add(nameKey(rs));
      } catch {
        // An invalid selector selects nothing; validation reports it.
      }
    }
  }

  private podAdded(pod: KubeObject): void {
    if (pod.metadata.deletionTimestamp) return this.podGone(pod);
    const ref = this.ownerRs(pod);
    if (ref) {
      this.expectations.creationObserved(ref.uid);
      this.enqueueRef(pod, ref);
    } else this.enqueueSelecting(pod);
  }

  private podUpdated(pod: KubeObject, old: KubeObject): void {
    const ref = this.ownerRs(pod);
    const oldRef = this.ownerRs(old);
    const refChanged = ref?.uid !== oldRef?.uid;
    if (pod.metadata.deletionTimestamp) {
      if (ref) this.expectations.deletionObserved(ref.uid, pod.metadata.uid ?? "");
      if (oldRef && refChanged) this.expectations.deletionObserved(oldRef.uid, pod.metadata.uid ?? "");
    }
    if (oldRef && refChanged) this.enqueueRef(old, oldRef);
    if (ref) this.enqueueRef(pod, ref);
    else if (refChanged || !deepEqual(pod.metadata.labels, old.metadata.labels)) this.enqueueSelecting(pod);
  }

  private podGone(pod: KubeObject): void {
    const ref = this.ownerRs(pod);
    if (!ref) return;
    this.expectations.deletionObserved(ref.uid, pod.metadata.uid ?? "");
    this.enqueueRef(pod, ref);
  }

  /** Pods of every ReplicaSet controlled by the same owner as `rs` (e.g. one Deployment's). */
  private relatedPods(rs: ReplicaSet): KubeObject[] | undefined {
    const owner = controllerOf(rs);
    if (!owner) return undefined;
    const family = this.informer.byIndex(BY_OWNER, owner.uid).filter((o) => o.kind === "ReplicaSet" && controllerOf(o)?.uid === owner.uid);
    return family.flatMap((s) => this.informer.byIndex(BY_OWNER, s.metadata.uid ?? "").filter((p) => p.kind === "Pod" && controllerOf(p)?.uid === s.metadata.uid));
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const rs = this.informer.get("ReplicaSet", namespace, name) as ReplicaSet | undefined;
    if (!rs) return;
    const uid = rs.metadata.uid ?? "";
    const satisfied = this.expectations.satisfied(uid, (podUid) => {
      const pod = this.informer.byIndex(BY_UID, podUid)[0];
      return pod !== undefined && !pod.metadata.deletionTimestamp;
    });
    let plan;
    try {
      plan = planReplicaSet({ rs, pods: this.informer.list("Pod", namespace), relatedPods: this.relatedPods(rs), expectationsSatisfied: satisfied });
    } catch (e) {
      throw new TerminalError(`invalid selector: ${message(e)}`);
    }
    let failure: ManageFailure | undefined;
    for (const action of plan.actions) {
      if (action.type === "adopt" || action.type === "release") {
        try {
          await applyClaim(this.ctx.registry, "Pod", action.pod, rs, action.type);
        } catch (e) {
          if (isCode(e, "NotFound", "Conflict")) return { requeueAfter: LOOK_AGAIN_MS };
          throw e;
        }
      } else if (action.type === "create") failure = await this.createPods(rs, action.count);
      else failure = await this.deletePods(rs, action.pods);
    }
    const now = this.ctx.clock.now();
    const status = planReplicaSetStatus(rs, plan.owned, now, failure);
    if (replicaSetStatusChanged(rs, status)) await this.writeStatus(rs, status);
    // A failed create or delete is retried with back-off, as Kubernetes requeues it rate-limited.
    if (failure) throw new Error(failure.message);
    const wait = nextAvailableIn(rs, plan.owned, now);
    return wait === undefined ? undefined : { requeueAfter: wait + 5 };
  }

  private async createPods(rs: ReplicaSet, count: number): Promise<ManageFailure | undefined> {
    const uid = rs.metadata.uid ?? "";
    this.expectations.expect(uid, count);
    let done = 0;
    for (const size of slowStartBatches(count)) {
      const results = await Promise.allSettled(Array.from({ length: size }, () => this.createPod(rs)));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      done += size;
      if (failed.length) {
        // Neither the failed creates nor the skipped batches will show up in the informer.
        this.expectations.creationObserved(uid, failed.length + (count - done));
        return { reason: "FailedCreate", message: message(failed[0]!.reason) };
      }
    }
    return undefined;
  }

  private async createPod(rs: ReplicaSet): Promise<void> {
    const pod = podFromTemplate(rs.spec.template, rs, { generateName: `${rs.metadata.name}-` });
    try {
      const created = await this.ctx.registry.create("Pod", rs.metadata.namespace ?? "", pod);
      this.ctx.events.record(rs, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name}`);
    } catch (e) {
      this.ctx.events.record(rs, "Warning", "FailedCreate", `Error creating: ${message(e)}`);
      throw e;
    }
  }

  private async deletePods(rs: ReplicaSet, pods: KubeObject[]): Promise<ManageFailure | undefined> {
    const uid = rs.metadata.uid ?? "";
    this.expectations.expect(uid, 0, pods.map((p) => p.metadata.uid ?? ""));
    const results = await Promise.allSettled(pods.map((p) => this.deletePod(rs, p)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    return failed.length ? { reason: "FailedDelete", message: message(failed[0]!.reason) } : undefined;
  }

  private async deletePod(rs: ReplicaSet, pod: KubeObject): Promise<void> {
    const podName = pod.metadata.name ?? "";
    try {
      await this.ctx.registry.delete("Pod", pod.metadata.namespace ?? "", podName, { preconditions: { uid: pod.metadata.uid } });
      this.ctx.events.record(rs, "Normal", "SuccessfulDelete", `Deleted pod: ${podName}`);
    } catch (e) {
      // Either way this pod will not be seen going: stop waiting for it.
      this.expectations.deletionObserved(rs.metadata.uid ?? "", pod.metadata.uid ?? "");
      // Gone already (or replaced by another pod of that name): nothing left to delete.
      if (isCode(e, "NotFound", "Conflict")) return;
      this.ctx.events.record(rs, "Warning", "FailedDelete", `Error deleting: ${message(e)}`);
      throw e;
    }
  }

  private async writeStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<void> {
    const key = { kind: "ReplicaSet", namespace: rs.metadata.namespace ?? "", name: rs.metadata.name ?? "" };
    try {
      await this.ctx.registry.store.update(key, (cur) => {
        if (cur.metadata.uid !== rs.metadata.uid) throw new TugError("NotFound", `replicaset ${key.name} was replaced`);
        return { ...cur, status };
      });
    } catch (e) {
      if (!isCode(e, "NotFound")) throw e;
    }
  }
}
