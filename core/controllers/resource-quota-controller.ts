// Keeps each ResourceQuota's status (hard and used) current as objects in its
// namespace come and go. Admission enforces quotas; this only reports them.

import type { KubeObject } from "../resources/object.ts";
import type { ResourceQuota } from "../resources/policy.ts";
import { deepEqual } from "../deep-equal.ts";
import { kindsCounted, quotaUsage } from "../registry/admission/resource-quota.ts";
import type { Controller } from "./controller.ts";
import { nameKey, splitKey, type ControllerContext, controllerQueue } from "./context.ts";
import { WorkQueue } from "./work-queue.ts";

export class ResourceQuotaController implements Controller {
  readonly name = "resource-quota";
  readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = controllerQueue(ctx, this.name, (key) => this.reconcile(key));
    const touch = (o: KubeObject) => {
      if (o.kind === "ResourceQuota") return this.queue.add(nameKey(o));
      if (!o.metadata.namespace) return;
      for (const q of ctx.informer.list("ResourceQuota", o.metadata.namespace)) this.queue.add(nameKey(q));
    };
    ctx.informer.on({ add: touch, update: touch, delete: touch });
  }

  stop(): void {
    this.queue.stop();
  }

  private async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const quota = this.ctx.informer.get("ResourceQuota", namespace, name) as ResourceQuota | undefined;
    if (!quota || quota.metadata.deletionTimestamp) return;
    const objects = [...kindsCounted([quota])].flatMap((k) => this.ctx.informer.list(k, namespace));
    const status = { hard: { ...(quota.spec.hard ?? {}) }, used: quotaUsage(quota, objects) };
    if (deepEqual(quota.status, status)) return;
    await this.ctx.registry.store.update({ kind: "ResourceQuota", namespace, name }, (cur) => ({ ...cur, status }));
  }
}
