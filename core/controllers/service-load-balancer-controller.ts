// LoadBalancer Services without a cloud: like K3s's service load balancer,
// the Ready nodes' addresses become status.loadBalancer.ingress, and every
// node's proxier answers the service port on its own address. Keyed by
// Service; a Node change requeues every LoadBalancer Service.

import { deepEqual } from "../deep-equal.ts";
import { TugError } from "../errors.ts";
import type { KubeObject } from "../resources/object.ts";
import type { Controller } from "./controller.ts";
import { type ControllerContext, controllerQueue, nameKey, splitKey } from "./context.ts";
import type { WorkQueue } from "./work-queue.ts";

interface NodeLike {
  metadata: { name?: string };
  spec?: { unschedulable?: boolean };
  status?: { addresses?: { type: string; address: string }[]; conditions?: { type: string; status: string }[] };
}

/** The ingress list for a LoadBalancer Service: each Ready node's ExternalIP, else InternalIP, sorted. */
export function planLoadBalancerIngress(nodes: readonly NodeLike[]): { ip: string }[] {
  const ips = new Set<string>();
  for (const n of nodes) {
    if (n.status?.conditions?.find((c) => c.type === "Ready")?.status !== "True") continue;
    const addrs = n.status.addresses ?? [];
    const ip = addrs.find((a) => a.type === "ExternalIP")?.address ?? addrs.find((a) => a.type === "InternalIP")?.address;
    if (ip) ips.add(ip);
  }
  return [...ips].sort().map((ip) => ({ ip }));
}

const isLoadBalancer = (o: KubeObject) => o.kind === "Service" && (o.spec as { type?: string } | undefined)?.type === "LoadBalancer";

export class ServiceLoadBalancerController implements Controller {
  readonly name = "service-load-balancer";
  private readonly queue: WorkQueue;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = controllerQueue(ctx, this.name, (k) => this.reconcile(k));
    const serviceChanged = (o: KubeObject) => o.kind === "Service" && this.queue.add(nameKey(o));
    const nodeChanged = (o: KubeObject) => o.kind === "Node" && this.requeueAll();
    ctx.informer.on({
      add: (o) => serviceChanged(o) || nodeChanged(o),
      update: (o) => serviceChanged(o) || nodeChanged(o),
      delete: (o) => nodeChanged(o),
    });
  }

  start(): void {
    this.requeueAll();
  }

  stop(): void {
    this.queue.stop();
  }

  private requeueAll(): boolean {
    for (const s of this.ctx.informer.list("Service")) if (isLoadBalancer(s)) this.queue.add(nameKey(s));
    return true;
  }

  private async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.ctx.informer.get("Service", namespace, name);
    const status = svc?.status as { loadBalancer?: { ingress?: unknown[] } } | undefined;
    // A Service that stopped being a LoadBalancer loses its ingress, as in Kubernetes.
    const ingress = svc && isLoadBalancer(svc) ? planLoadBalancerIngress(this.ctx.informer.list("Node") as unknown as NodeLike[]) : [];
    if (!svc || deepEqual(status?.loadBalancer?.ingress ?? [], ingress)) return;
    try {
      await this.ctx.registry.patch("Service", namespace, name, "application/merge-patch+json", { status: { loadBalancer: { ingress: ingress.length ? ingress : null } } }, "status");
    } catch (e) {
      if (!(e instanceof TugError && e.code === "NotFound")) throw e;
    }
  }
}
