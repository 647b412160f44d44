// The `default/kubernetes` Service and its Endpoints, as kube-apiserver keeps
// them: the first address of the service CIDR, port 443 (named https), with
// the server's advertised address and port as the one endpoint. Pods find
// the API through it (KUBERNETES_SERVICE_HOST, in-cluster client libraries).
// Recreated when deleted; a user's changes to the endpoint are put back.

import { deepEqual } from "../deep-equal.ts";
import { TugError } from "../errors.ts";
import type { Controller } from "./controller.ts";
import { type ControllerContext, controllerQueue } from "./context.ts";
import type { WorkQueue } from "./work-queue.ts";

const NAMESPACE = "default";
const NAME = "kubernetes";

export interface KubernetesServiceOptions {
  /** The service CIDR's first address, e.g. 10.43.0.1. */
  clusterIP: string;
  /** Where agents and pods reach the API server. */
  advertiseAddress: string;
  port: number;
}

/** The first usable address of an IPv4 CIDR (network + 1). */
export function firstAddress(cidr: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/\d+$/.exec(cidr);
  if (!m) throw new TugError("BadRequest", `service CIDR ${cidr} is not an IPv4 CIDR`);
  const n = (((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) + 1) >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export class KubernetesServiceController implements Controller {
  readonly name = "kubernetes-service";
  private readonly queue: WorkQueue;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: KubernetesServiceOptions,
  ) {
    this.queue = controllerQueue(ctx, this.name, () => this.reconcile());
    const ours = (o: { kind: string; metadata: { namespace?: string; name?: string } }) =>
      (o.kind === "Service" || o.kind === "Endpoints") && o.metadata.namespace === NAMESPACE && o.metadata.name === NAME;
    ctx.informer.on({
      update: (o) => ours(o) && this.queue.add(NAME),
      delete: (o) => ours(o) && this.queue.add(NAME),
    });
  }

  start(): void {
    this.queue.add(NAME);
  }

  stop(): void {
    this.queue.stop();
  }

  private async reconcile(): Promise<void> {
    const { registry, informer } = this.ctx;
    if (!informer.get("Service", NAMESPACE, NAME)) {
      await ignore(["AlreadyExists"], () =>
        registry.create("Service", NAMESPACE, {
          metadata: { name: NAME, labels: { component: "apiserver", provider: "kubernetes" } },
          spec: { type: "ClusterIP", clusterIP: this.opts.clusterIP, ports: [{ name: "https", protocol: "TCP", port: 443, targetPort: this.opts.port }], sessionAffinity: "None" },
        }),
      );
    }
    const subsets = [{ addresses: [{ ip: this.opts.advertiseAddress }], ports: [{ name: "https", port: this.opts.port, protocol: "TCP" }] }];
    const ep = informer.get("Endpoints", NAMESPACE, NAME);
    if (!ep) {
      await ignore(["AlreadyExists"], () => registry.create("Endpoints", NAMESPACE, { metadata: { name: NAME }, subsets }));
    } else if (!deepEqual((ep as { subsets?: unknown }).subsets, subsets)) {
      await ignore(["NotFound"], () => registry.patch("Endpoints", NAMESPACE, NAME, "application/merge-patch+json", { subsets }));
    }
  }
}

async function ignore(codes: string[], write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (e) {
    // A race with another writer: the next event brings us back.
    if (!(e instanceof TugError && codes.includes(e.code))) throw e;
  }
}
