// Every active namespace has a `default` ServiceAccount, as in Kubernetes.

import { TugError } from "../errors.ts";
import type { Controller } from "./controller.ts";
import { type ControllerContext, controllerQueue } from "./context.ts";
import { WorkQueue } from "./work-queue.ts";

const DEFAULT_SA = "default";

export class ServiceAccountController implements Controller {
  readonly name = "service-account";
  readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = controllerQueue(ctx, this.name, (ns) => this.reconcile(ns));
    ctx.informer.on({
      add: (o) => o.kind === "Namespace" && this.queue.add(o.metadata.name!),
      update: (o) => o.kind === "Namespace" && this.queue.add(o.metadata.name!),
      delete: (o) => o.kind === "ServiceAccount" && o.metadata.name === DEFAULT_SA && this.queue.add(o.metadata.namespace!),
    });
  }

  start(): void {
    for (const ns of this.ctx.informer.list("Namespace")) this.queue.add(ns.metadata.name!);
  }

  stop(): void {
    this.queue.stop();
  }

  private async reconcile(namespace: string): Promise<void> {
    const ns = this.ctx.informer.get("Namespace", "", namespace);
    if (!ns || ns.metadata.deletionTimestamp) return;
    if (this.ctx.informer.get("ServiceAccount", namespace, DEFAULT_SA)) return;
    try {
      await this.ctx.registry.create("ServiceAccount", namespace, { metadata: { name: DEFAULT_SA } });
    } catch (e) {
      // Made meanwhile, or the namespace began terminating: nothing to do.
      if (!(e instanceof TugError && (e.code === "AlreadyExists" || e.code === "Forbidden" || e.code === "NotFound"))) throw e;
    }
  }
}
