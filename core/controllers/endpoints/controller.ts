// The Endpoints controller: keeps one Endpoints object per Service with a
// selector, named like the Service, listing the pods it selects (ready ones in
// addresses, the others in notReadyAddresses). Keyed by `namespace/name` of
// the Service; writes only when the planned subsets or labels differ from what
// is stored, and deletes the Endpoints once the Service is gone. Services
// without a selector are left alone: their Endpoints belong to the user.

import { deepEqual } from "../../deep-equal.ts";
import { TugError } from "../../errors.ts";
import type { Informer } from "../../informer/informer.ts";
import type { KubeObject } from "../../resources/object.ts";
import type { Endpoints, Service } from "../../resources/service.ts";
import { type ControllerContext, controllerQueue, nameKey, splitKey } from "../context.ts";
import type { Controller } from "../controller.ts";
import type { ReconcileResult, WorkQueue } from "../work-queue.ts";
import { planEndpoints, planEndpointsLabels, selectsPod, serviceSelector } from "./plan.ts";

/** How soon to look again after a write met a newer state than the cache showed. */
const LOOK_AGAIN_MS = 20;

const isCode = (e: unknown, ...codes: string[]) => e instanceof TugError && codes.includes(e.code);

export class EndpointsController implements Controller {
  readonly name = "endpoints";
  readonly queue: WorkQueue;
  private readonly informer: Informer;

  constructor(private readonly ctx: ControllerContext) {
    this.informer = ctx.informer;
    this.queue = controllerQueue(ctx, this.name, (k) => this.reconcile(k));
    ctx.informer.on({
      add: (o) => this.changed(o),
      // Both the old and the new pod: a pod whose labels changed leaves one service's Endpoints and joins another's.
      update: (o, old) => this.changed(o, old),
      delete: (o) => this.changed(o),
    });
  }

  start(): void {
    for (const s of this.informer.list("Service")) this.queue.add(nameKey(s));
  }

  stop(): void {
    this.queue.stop();
  }

  private changed(obj: KubeObject, old?: KubeObject): void {
    if (obj.kind === "Service") this.queue.add(nameKey(obj));
    // Someone deleted or edited a managed Endpoints: its Service (if any) puts it back.
    else if (obj.kind === "Endpoints") {
      if (this.informer.get("Service", obj.metadata.namespace ?? "", obj.metadata.name ?? "")) this.queue.add(nameKey(obj));
    } else if (obj.kind === "Pod") {
      for (const svc of this.informer.list("Service", obj.metadata.namespace ?? "") as Service[]) {
        if (selectsPod(svc, obj) || (old && selectsPod(svc, old))) this.queue.add(nameKey(svc));
      }
    }
  }

  private async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const svc = this.informer.get("Service", namespace, name) as Service | undefined;
    const current = this.informer.get("Endpoints", namespace, name) as Endpoints | undefined;
    if (!svc) {
      if (current) await this.deleteEndpoints(current);
      return;
    }
    if (!serviceSelector(svc)) return;
    const subsets = planEndpoints(svc, this.informer.list("Pod", namespace));
    const labels = planEndpointsLabels(svc);
    try {
      if (!current) {
        await this.ctx.registry.create("Endpoints", namespace, { metadata: { name, labels }, subsets });
        return;
      }
      if (deepEqual(current.subsets ?? [], subsets) && deepEqual(current.metadata.labels ?? {}, labels)) return;
      // The resourceVersion makes this a compare-and-swap: a concurrent writer wins and we look again.
      await this.ctx.registry.replace("Endpoints", namespace, name, { ...current, metadata: { ...current.metadata, labels }, subsets });
    } catch (e) {
      if (isCode(e, "Conflict", "AlreadyExists", "NotFound")) return { requeueAfter: LOOK_AGAIN_MS };
      throw e;
    }
  }

  private async deleteEndpoints(ep: Endpoints): Promise<void> {
    try {
      await this.ctx.registry.delete("Endpoints", ep.metadata.namespace ?? "", ep.metadata.name ?? "", { preconditions: { uid: ep.metadata.uid } });
    } catch (e) {
      if (!isCode(e, "NotFound", "Conflict")) throw e;
    }
  }
}
