// What makes Services work on this node, fed from the desired state the mesh
// delivers: the service proxy (IPVS or nftables), routes to the other nodes'
// pod CIDRs, and the DNS responder on the pod gateway address that pods'
// resolv.conf names. Each part logs its own failures and keeps the rest going.
//
//   desired (services, endpoints, nodes) ──▶ ServiceProxy ──▶ ipvsadm | nft
//                                        ├─▶ PodRoutes    ──▶ ip route (proto 116)
//                                        └─▶ DnsServer    ◀── pods' queries on GW:53

import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import type { CommandRunner, ProxyMode } from "../../ipvs/applier.ts";
import { DEFAULT_CLUSTER_CIDR } from "../../core/controllers/node-ipam-controller.ts";
import type { DesiredState } from "../link/agent-link.ts";
import type { Endpoints, Service } from "../../core/resources/service.ts";
import { ensureBridgeGateway } from "../network/bridge-gateway.ts";
import { planPodRoutes, PodRoutes } from "../network/pod-routes.ts";
import { DnsServer } from "../dns/dns-server.ts";
import { DEFAULT_CLUSTER_DOMAIN } from "../dns/dns-records.ts";
import { chooseProxyMode, makeApplier } from "./choose-applier.ts";
import { ServiceProxy } from "./service-proxy.ts";

export interface NodeServicesOptions {
  nodeName: string;
  run: CommandRunner;
  /** The pod bridge (tug0): the DNS responder listens on its gateway address. */
  bridge: string;
  /** Force a dataplane; chosen from the kernel when absent. */
  proxyMode?: ProxyMode;
  clusterPodCidr?: string;
  clusterDomain?: string;
  /** DNS port (53; tests on a shared machine may move it). */
  dnsPort?: number;
  /** This node's own addresses (NodePorts, and which routes are not needed). */
  nodeAddresses: () => string[];
  log: (line: string) => void;
}

export class NodeServices {
  private proxy: ServiceProxy | undefined;
  private readonly routes: PodRoutes;
  private dns: DnsServer | undefined;
  private dnsAddress: string | undefined;
  private podCidr: string | undefined;
  private desired: DesiredState | undefined;
  private routesFailing = false;
  private routing: Promise<void> = Promise.resolve();
  private resync: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly opts: NodeServicesOptions) {
    this.routes = new PodRoutes(opts.run);
  }

  get clusterDomain(): string {
    return this.opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
  }

  /** The nameserver pods get in resolv.conf; undefined until the responder listens. */
  get nameserver(): string | undefined {
    return this.dns ? this.dnsAddress : undefined;
  }

  get proxyMode(): ProxyMode | undefined {
    return this.proxy?.mode;
  }

  async start(): Promise<void> {
    await this.bridgedTrafficThroughNetfilter();
    const { mode, why } = await chooseProxyMode(this.opts.run, this.opts.proxyMode);
    this.opts.log(`service proxy: ${mode} (${why})`);
    this.proxy = new ServiceProxy({
      nodeName: this.opts.nodeName,
      applier: makeApplier(mode, this.opts.run),
      clusterPodCidr: this.opts.clusterPodCidr ?? DEFAULT_CLUSTER_CIDR,
      log: this.opts.log,
    });
    this.proxy.start();
    // Routes someone removed (an interface that went down takes its routes along) come back.
    this.resync = setInterval(() => this.desired && this.updateRoutes(this.desired), 30_000);
    if (this.desired) this.update(this.desired);
  }

  /** The node's pod CIDR is known: make the bridge's gateway address and listen for DNS on it. */
  async usePodCidr(podCidr: string): Promise<void> {
    if (podCidr === this.podCidr) return;
    this.podCidr = podCidr;
    await this.dns?.stop();
    this.dns = undefined;
    try {
      const address = await ensureBridgeGateway(this.opts.run, this.opts.bridge, podCidr);
      const dns = new DnsServer({ clusterDomain: this.clusterDomain, log: this.opts.log });
      await dns.start({ address, port: this.opts.dnsPort ?? 53 });
      if (this.desired) dns.update((this.desired.services ?? []) as unknown as Service[], (this.desired.endpoints ?? []) as unknown as Endpoints[]);
      this.dns = dns;
      this.dnsAddress = address;
      this.opts.log(`cluster DNS listening on ${address}:${this.opts.dnsPort ?? 53}`);
    } catch (e) {
      this.opts.log(`cluster DNS: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (this.desired) this.updateRoutes(this.desired);
  }

  /**
   * A pod reaching a Service whose endpoint sits on the same bridge gets its
   * reply straight over the bridge unless bridged frames pass netfilter, and
   * the DNAT is never undone (measured, NETNS-NFT.md pitfall 2). Kubernetes
   * requires the same of every node.
   */
  private async bridgedTrafficThroughNetfilter(): Promise<void> {
    const sysctl = "/proc/sys/net/bridge/bridge-nf-call-iptables";
    if (!existsSync(sysctl)) await this.opts.run(["modprobe", "-q", "br_netfilter"]).catch(() => undefined);
    try {
      if ((await readFile(sysctl, "utf8")).trim() !== "1") await writeFile(sysctl, "1\n");
    } catch (e) {
      this.opts.log(`service proxy: cannot turn on ${sysctl} (${(e as NodeJS.ErrnoException).code ?? String(e)}); pods reaching a Service backed by a pod on the same node will fail`);
    }
  }

  /** The latest desired state. A state without services (a link that does not carry them) changes nothing. */
  update(state: DesiredState): void {
    if (!state.services || !state.endpoints) return;
    this.desired = state;
    this.proxy?.set({ services: state.services, endpoints: state.endpoints, nodeAddresses: this.opts.nodeAddresses() });
    this.dns?.update(state.services as unknown as Service[], state.endpoints as unknown as Endpoints[]);
    this.updateRoutes(state);
  }

  async stop(): Promise<void> {
    clearInterval(this.resync);
    await this.proxy?.stop();
    await this.routing;
    await this.dns?.stop();
  }

  /** For tests and benches: resolves once the latest services are in the kernel. */
  async settled(): Promise<void> {
    await this.proxy?.settled();
    await this.routing;
  }

  private updateRoutes(state: DesiredState): void {
    if (!state.nodes) return;
    const desired = planPodRoutes(state.nodes, { name: this.opts.nodeName, podCidr: this.podCidr, addresses: this.opts.nodeAddresses() });
    this.routing = this.routing.then(async () => {
      try {
        const changed = await this.routes.apply(desired);
        if (changed > 0) this.opts.log(`pod routes: ${desired.map((r) => `${r.cidr} via ${r.via}`).join(", ") || "none"}`);
        this.routesFailing = false;
      } catch (e) {
        if (!this.routesFailing) this.opts.log(`pod routes: ${e instanceof Error ? e.message : String(e)}`);
        this.routesFailing = true;
      }
    });
  }
}
