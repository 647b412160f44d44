// The garbage collector: objects whose owners are gone are deleted
// (Background); an owner deleted with Foreground waits, marked, until its
// dependents are gone; an owner deleted with Orphan first releases its
// dependents. Reconciles one object uid at a time from the informer cache.

import { isKindName } from "../resources/kinds.ts";
import type { KubeObject } from "../resources/object.ts";
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, type Registry } from "../registry/registry.ts";
import type { Informer } from "../informer/informer.ts";
import { BY_OWNER, BY_UID, registerStandardIndexes } from "../informer/indexes.ts";
import { WorkQueue } from "./work-queue.ts";
import type { Controller } from "./controller.ts";
import { type ControllerContext, controllerQueue } from "./context.ts";
import { ignoreNotFound } from "./apply-errors.ts";

export class GarbageCollector implements Controller {
  readonly name = "garbage-collector";
  readonly queue: WorkQueue;
  private readonly registry: Registry;
  private readonly informer: Informer;

  constructor(ctx: ControllerContext) {
    this.registry = ctx.registry;
    const informer = (this.informer = ctx.informer);
    registerStandardIndexes(informer);
    this.queue = controllerQueue(ctx, this.name, (uid) => this.reconcile(uid));
    informer.on({
      add: (o) => this.enqueue(o),
      update: (o) => this.enqueue(o),
      delete: (o) => {
        for (const d of informer.byIndex(BY_OWNER, o.metadata.uid ?? "")) this.enqueue(d);
        for (const r of o.metadata.ownerReferences ?? []) this.queue.add(r.uid);
      },
    });
  }

  stop(): void {
    this.queue.stop();
  }

  private enqueue(o: KubeObject): void {
    if (o.metadata.uid && (o.metadata.ownerReferences?.length || o.metadata.deletionTimestamp)) this.queue.add(o.metadata.uid);
  }

  private byUid(uid: string): KubeObject | undefined {
    return this.informer.byIndex(BY_UID, uid)[0];
  }

  private key(o: KubeObject) {
    return { kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name ?? "" };
  }

  private async removeFinalizer(o: KubeObject, finalizer: string): Promise<void> {
    await this.registry.store
      .update(this.key(o), (cur) => ({ ...cur, metadata: { ...cur.metadata, finalizers: (cur.metadata.finalizers ?? []).filter((f) => f !== finalizer) } }))
      .catch(ignoreNotFound);
  }

  private async reconcile(uid: string): Promise<{ requeueAfter?: number } | void> {
    const obj = this.byUid(uid);
    if (!obj) return;
    const finalizers = obj.metadata.finalizers ?? [];
    const dependents = this.informer.byIndex(BY_OWNER, uid);

    if (obj.metadata.deletionTimestamp && finalizers.includes(ORPHAN_FINALIZER)) {
      for (const d of dependents) {
        await this.registry.store
          .update(this.key(d), (cur) => ({ ...cur, metadata: { ...cur.metadata, ownerReferences: (cur.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid) } }))
          .catch(ignoreNotFound);
      }
      await this.removeFinalizer(obj, ORPHAN_FINALIZER);
      return;
    }
    if (obj.metadata.deletionTimestamp && finalizers.includes(FOREGROUND_FINALIZER)) {
      for (const d of dependents) {
        if (d.metadata.deletionTimestamp || !isKindName(d.kind)) continue;
        await this.registry.delete(d.kind, d.metadata.namespace ?? "", d.metadata.name ?? "", { propagationPolicy: "Foreground" }).catch(ignoreNotFound);
      }
      if (dependents.length) return;
      await this.removeFinalizer(obj, FOREGROUND_FINALIZER);
      return;
    }

    const refs = obj.metadata.ownerReferences ?? [];
    if (!refs.length || !isKindName(obj.kind)) return;
    // Only owners of kinds we serve can be judged gone; others are left alone.
    const dangling = refs.filter((r) => isKindName(r.kind) && !this.byUid(r.uid));
    if (!dangling.length) return;
    if (dangling.length === refs.length) {
      if (obj.metadata.deletionTimestamp) return;
      await this.registry.delete(obj.kind, obj.metadata.namespace ?? "", obj.metadata.name ?? "", { preconditions: { uid } }).catch(ignoreNotFound);
      return;
    }
    const gone = new Set(dangling.map((r) => r.uid));
    await this.registry.store
      .update(this.key(obj), (cur) => ({ ...cur, metadata: { ...cur.metadata, ownerReferences: (cur.metadata.ownerReferences ?? []).filter((r) => !gone.has(r.uid)) } }))
      .catch(ignoreNotFound);
  }
}
