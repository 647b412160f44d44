// The Deployment controller: reconciles one `namespace/name` at a time from
// the informer — plan (planDeployment) -> apply the actions in order through
// the registry, stopping to look again when a write finds the world changed.
// Triggered by the Deployment, the ReplicaSets it controls (or, orphaned,
// that it selects) and the deletion of their pods.

import { TugError } from "../../errors.ts";
import { BY_OWNER, registerStandardIndexes } from "../../informer/indexes.ts";
import type { Informer } from "../../informer/informer.ts";
import type { Deployment, ReplicaSet } from "../../resources/apps.ts";
import type { KubeObject } from "../../resources/object.ts";
import { deepEqual } from "../../deep-equal.ts";
import { matchesLabels, selectorFromSpec } from "../../selectors/label-selector.ts";
import { type ControllerContext, controllerQueue } from "../context.ts";
import { nameKey, splitKey } from "../context.ts";
import type { Controller } from "../controller.ts";
import { controllerOf, isControlledBy } from "../owners.ts";
import { applyClaim } from "../replica-set/claim.ts";
import { TerminalError, WorkQueue, type ReconcileResult } from "../work-queue.ts";
import { hasProgressDeadline, newCondition, PROGRESSING, REASONS, setCondition } from "./conditions.ts";
import { planDeployment, type DeploymentAction } from "./plan.ts";

/** How soon to look again after a write found a newer state than the cache showed. */
const LOOK_AGAIN_MS = 50;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isCode(e: unknown, ...codes: string[]): boolean {
  return e instanceof TugError && codes.includes(e.code);
}

export class DeploymentController implements Controller {
  readonly name = "deployment";
  readonly queue: WorkQueue;
  private readonly informer: Informer;
  /** Progress-deadline checks, kept apart from the queue's back-off timers (one timer per key there). */
  private readonly deadlines = new Map<string, { at: number; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly ctx: ControllerContext) {
    const informer = (this.informer = ctx.informer);
    registerStandardIndexes(informer);
    this.queue = controllerQueue(ctx, this.name, (k) => this.reconcile(k));
    informer.on({
      add: (o) => {
        if (o.kind === "Deployment") this.queue.add(nameKey(o));
        else if (o.kind === "ReplicaSet") this.replicaSetChanged(o);
      },
      update: (o, old) => {
        if (o.kind === "Deployment") this.queue.add(nameKey(o));
        else if (o.kind === "ReplicaSet") this.replicaSetChanged(o, old);
      },
      delete: (o) => {
        if (o.kind === "Deployment") this.queue.add(nameKey(o));
        else if (o.kind === "ReplicaSet") this.enqueueOwner(o);
        else if (o.kind === "Pod") this.podDeleted(o);
      },
    });
  }

  stop(): void {
    this.queue.stop();
    for (const { timer } of this.deadlines.values()) clearTimeout(timer);
    this.deadlines.clear();
  }

  private enqueueOwner(rs: KubeObject): boolean {
    const ref = controllerOf(rs);
    if (ref?.kind !== "Deployment") return false;
    this.queue.add(`${rs.metadata.namespace ?? ""}/${ref.name}`);
    return true;
  }

  private replicaSetChanged(rs: KubeObject, old?: KubeObject): void {
    if (old && controllerOf(old)?.uid !== controllerOf(rs)?.uid) this.enqueueOwner(old);
    if (this.enqueueOwner(rs) || controllerOf(rs)) return;
    if (old && deepEqual(old.metadata.labels, rs.metadata.labels) && !controllerOf(old)) return;
    // An orphan: every Deployment that selects it may adopt it.
    for (const d of this.informer.list("Deployment", rs.metadata.namespace ?? "")) {
      try {
        if (matchesLabels(selectorFromSpec((d as Deployment).spec.selector), rs.metadata.labels)) this.queue.add(nameKey(d));
      } catch {
        // An invalid selector selects nothing; validation reports it.
      }
    }
  }

  /** Recreate waits for old pods to be gone: their deletion is news to the Deployment. */
  private podDeleted(pod: KubeObject): void {
    const ref = controllerOf(pod);
    if (ref?.kind !== "ReplicaSet") return;
    const rs = this.informer.get("ReplicaSet", pod.metadata.namespace ?? "", ref.name);
    if (rs) this.enqueueOwner(rs);
  }

  private scheduleDeadline(key: string, afterMs: number | undefined): void {
    const existing = this.deadlines.get(key);
    if (afterMs === undefined) {
      if (existing) clearTimeout(existing.timer);
      this.deadlines.delete(key);
      return;
    }
    const at = this.ctx.clock.now() + afterMs;
    if (existing && Math.abs(existing.at - at) < 10) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.deadlines.delete(key);
      this.queue.add(key);
    }, afterMs);
    this.deadlines.set(key, { at, timer });
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const d = this.informer.get("Deployment", namespace, name) as Deployment | undefined;
    if (!d) return this.scheduleDeadline(key, undefined);
    const replicaSets = this.informer.list("ReplicaSet", namespace) as ReplicaSet[];
    const pods = replicaSets
      .filter((rs) => isControlledBy(rs, d))
      .flatMap((rs) => this.informer.byIndex(BY_OWNER, rs.metadata.uid ?? "").filter((p) => p.kind === "Pod"));
    let plan;
    try {
      plan = planDeployment({ deployment: d, replicaSets, pods, now: this.ctx.clock.now() });
    } catch (e) {
      throw new TerminalError(`invalid selector: ${message(e)}`);
    }
    for (const action of plan.actions) {
      try {
        await this.apply(d, action);
      } catch (e) {
        if (isCode(e, "Conflict", "AlreadyExists", "NotFound")) return { requeueAfter: LOOK_AGAIN_MS };
        if (action.type === "createReplicaSet") await this.reportFailedCreate(d, action.rs, e);
        throw e;
      }
    }
    this.scheduleDeadline(key, plan.requeueAfter);
  }

  private async apply(d: Deployment, action: DeploymentAction): Promise<void> {
    const registry = this.ctx.registry;
    const ns = d.metadata.namespace ?? "";
    switch (action.type) {
      case "adoptReplicaSet":
      case "releaseReplicaSet":
        return applyClaim(registry, "ReplicaSet", action.rs, d, action.type === "adoptReplicaSet" ? "adopt" : "release");
      case "createReplicaSet":
        await registry.create("ReplicaSet", ns, action.rs);
        for (const ev of action.events) this.ctx.events.record(d, ev.type, ev.reason, ev.message);
        return;
      case "updateReplicaSet":
        // Carries the resourceVersion the plan saw: a ReplicaSet changed since is a Conflict.
        await registry.replace("ReplicaSet", ns, action.rs.metadata.name ?? "", action.rs);
        for (const ev of action.events) this.ctx.events.record(d, ev.type, ev.reason, ev.message);
        return;
      case "deleteReplicaSet":
        try {
          await registry.delete("ReplicaSet", ns, action.rs.metadata.name ?? "", { preconditions: { uid: action.rs.metadata.uid } });
        } catch (e) {
          if (!isCode(e, "NotFound")) throw e;
        }
        return;
      case "updateDeployment":
        return this.writeDeployment(action.deployment);
      case "event":
        return this.ctx.events.record(d, action.event.type, action.event.reason, action.event.message);
    }
  }

  /** Annotations and status in one write, only onto the version the plan was made from. */
  private async writeDeployment(next: Deployment): Promise<void> {
    const key = { kind: "Deployment", namespace: next.metadata.namespace ?? "", name: next.metadata.name ?? "" };
    await this.ctx.registry.store.update(key, (cur) => {
      if (cur.metadata.uid !== next.metadata.uid) throw new TugError("NotFound", `deployment ${key.name} was replaced`);
      if (cur.metadata.resourceVersion !== next.metadata.resourceVersion) throw new TugError("Conflict", `deployment ${key.name} changed`);
      const annotations = next.metadata.annotations;
      const { annotations: _, ...meta } = cur.metadata;
      return { ...cur, metadata: annotations && Object.keys(annotations).length ? { ...meta, annotations } : meta, status: next.status };
    });
  }

  /** A new ReplicaSet that cannot be created: Progressing=False ReplicaSetCreateError and a Warning, as Kubernetes reports it. */
  private async reportFailedCreate(d: Deployment, rs: ReplicaSet, err: unknown): Promise<void> {
    const msg = `Failed to create new replica set "${rs.metadata.name}": ${message(err)}`;
    this.ctx.events.record(d, "Warning", REASONS.failedCreate, msg);
    if (!hasProgressDeadline(d)) return;
    const key = { kind: "Deployment", namespace: d.metadata.namespace ?? "", name: d.metadata.name ?? "" };
    const now = this.ctx.clock.now();
    await this.ctx.registry.store
      .update(key, (cur) => {
        const status = structuredClone((cur as Deployment).status ?? {});
        setCondition(status, newCondition(PROGRESSING, "False", REASONS.failedCreate, msg, now));
        return { ...cur, status };
      })
      // The create's own error is what gets retried and reported; a failed condition write adds nothing to it.
      .catch(() => undefined);
  }
}
