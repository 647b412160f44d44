// Gives every Node a pod CIDR (spec.podCIDR): the lowest free /24 of the
// cluster CIDR (10.42.0.0/16 by default, so node N gets 10.42.N.0/24), as
// kube-controller-manager's range allocator does. Agents wait for it before
// they network pods; the Services issue routes between these ranges.

import { TugError } from "../errors.ts";
import type { KubeObject } from "../resources/object.ts";
import type { Controller } from "./controller.ts";
import { type ControllerContext, controllerQueue } from "./context.ts";
import type { WorkQueue } from "./work-queue.ts";

export const DEFAULT_CLUSTER_CIDR = "10.42.0.0/16";

const podCidrOf = (o: KubeObject) => (o.spec as { podCIDR?: string } | undefined)?.podCIDR;

/** The lowest /24 of `clusterCidr` (a /16 or wider IPv4 range) not in `used`; undefined when all are taken. */
export function planPodCidr(clusterCidr: string, used: ReadonlySet<string>): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(clusterCidr);
  if (!m) throw new TugError("BadRequest", `cluster CIDR ${clusterCidr} is not an IPv4 CIDR`);
  const prefix = Number(m[5]);
  if (prefix > 24) throw new TugError("BadRequest", `cluster CIDR ${clusterCidr} is smaller than a /24`);
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const count = 2 ** (24 - prefix);
  for (let i = 0; i < count; i++) {
    const net = (base + i * 256) >>> 0;
    const cidr = `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.0/24`;
    if (!used.has(cidr)) return cidr;
  }
  return undefined;
}

export class NodeIpamController implements Controller {
  readonly name = "node-ipam";
  private readonly queue: WorkQueue;
  /** Handed out but maybe not yet in the informer: two new nodes never get the same range. */
  private readonly allocated = new Map<string, string>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly clusterCidr = DEFAULT_CLUSTER_CIDR,
  ) {
    this.queue = controllerQueue(ctx, this.name, (name) => this.reconcile(name));
    ctx.informer.on({
      add: (o) => o.kind === "Node" && !podCidrOf(o) && this.queue.add(o.metadata.name!),
      update: (o) => o.kind === "Node" && !podCidrOf(o) && this.queue.add(o.metadata.name!),
    });
  }

  start(): void {
    for (const n of this.ctx.informer.list("Node")) if (!podCidrOf(n)) this.queue.add(n.metadata.name!);
  }

  stop(): void {
    this.queue.stop();
  }

  private async reconcile(name: string): Promise<void> {
    const node = this.ctx.informer.get("Node", "", name);
    if (!node || podCidrOf(node)) return;
    const nodes = this.ctx.informer.list("Node");
    const names = new Set(nodes.map((n) => n.metadata.name!));
    for (const n of this.allocated.keys()) if (!names.has(n)) this.allocated.delete(n);
    const used = new Set([...nodes.flatMap((n) => podCidrOf(n) ?? []), ...[...this.allocated].filter(([n]) => n !== name).map(([, c]) => c)]);
    const cidr = planPodCidr(this.clusterCidr, used);
    if (!cidr) throw new TugError("Invalid", `no pod CIDR left in ${this.clusterCidr} for node ${name}`);
    this.allocated.set(name, cidr);
    try {
      await this.ctx.registry.patch("Node", "", name, "application/merge-patch+json", { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
    } catch (e) {
      if (!(e instanceof TugError && e.code === "NotFound")) throw e;
    }
  }
}
