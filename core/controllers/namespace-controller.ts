// The namespace controller: a namespace marked for deletion turns
// Terminating, its content is deleted, and when nothing is left its
// finalizer is removed so the namespace itself goes.

import { isKindName, KIND_NAMES, KINDS } from "../resources/kinds.ts";
import { NAMESPACE_FINALIZER, type Registry } from "../registry/registry.ts";
import type { Informer } from "../informer/informer.ts";
import { WorkQueue } from "./work-queue.ts";
import type { Controller } from "./controller.ts";
import { type ControllerContext, controllerQueue } from "./context.ts";
import { ignoreNotFound } from "./apply-errors.ts";

const NAMESPACED = KIND_NAMES.filter((k) => KINDS[k].namespaced);
const RECHECK_MS = 200;

export class NamespaceController implements Controller {
  readonly name = "namespace";
  readonly queue: WorkQueue;
  private readonly registry: Registry;
  private readonly informer: Informer;

  constructor(ctx: ControllerContext) {
    this.registry = ctx.registry;
    const informer = (this.informer = ctx.informer);
    this.queue = controllerQueue(ctx, this.name, (name) => this.reconcile(name));
    informer.on({
      add: (o) => o.kind === "Namespace" && o.metadata.deletionTimestamp && this.queue.add(o.metadata.name!),
      update: (o) => o.kind === "Namespace" && o.metadata.deletionTimestamp && this.queue.add(o.metadata.name!),
    });
  }

  stop(): void {
    this.queue.stop();
  }

  private async reconcile(name: string): Promise<{ requeueAfter?: number } | void> {
    const ns = this.informer.get("Namespace", "", name);
    if (!ns?.metadata.deletionTimestamp) return;
    const key = { kind: "Namespace", namespace: "", name };
    if ((ns.status as { phase?: string } | undefined)?.phase !== "Terminating") {
      await this.registry.store.update(key, (cur) => ({ ...cur, status: { ...(cur.status as object), phase: "Terminating" } }));
    }
    let remaining = 0;
    for (const kind of NAMESPACED) {
      const items = this.informer.list(kind, name);
      remaining += items.length;
      for (const o of items) {
        if (o.metadata.deletionTimestamp || !isKindName(o.kind)) continue;
        await this.registry.delete(o.kind, name, o.metadata.name ?? "").catch(ignoreNotFound);
      }
    }
    if (remaining > 0) return { requeueAfter: RECHECK_MS };
    await this.registry.store.update(key, (cur) => ({
      ...cur,
      spec: { ...(cur.spec as object), finalizers: [] },
      metadata: { ...cur.metadata, finalizers: (cur.metadata.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER) },
    }));
  }
}
