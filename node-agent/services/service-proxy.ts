// This node's Service proxy: turns the Services and Endpoints the mesh
// delivers into a dataplane plan (ipvs/plan.ts) and hands it to the applier
// the kernel supports. One apply at a time; changes that arrive meanwhile
// fold into the next one. A periodic resync repairs what someone else
// changed in the kernel, and finishes drains (IPVS deletes a drained real
// server on the pass after the one that set its weight to 0).

import type { KubeObject } from "../../core/resources/object.ts";
import type { Endpoints, Service } from "../../core/resources/service.ts";
import type { ProxyApplier, ProxyMode } from "../../ipvs/applier.ts";
import { planVips, planVirtualServers } from "../../ipvs/plan.ts";

export interface ServiceProxyOptions {
  nodeName: string;
  applier: ProxyApplier;
  /** The cluster's pod CIDR (10.42.0.0/16): clients outside it are masqueraded. */
  clusterPodCidr: string;
  /** How often the kernel is re-checked against the plan (default 30 s). */
  resyncMs?: number;
  /** How long a drained real server keeps its open connections before the next pass deletes it (default 10 s). */
  drainMs?: number;
  log: (line: string) => void;
}

export interface ProxyInput {
  services: KubeObject[];
  endpoints: KubeObject[];
  /** The node's own addresses: NodePorts listen on them. */
  nodeAddresses: string[];
}

export class ServiceProxy {
  private input: ProxyInput | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private failing = false;
  private stopped = false;
  /** Applies done (for tests and the bench: wait for a given count). */
  applied = 0;

  constructor(private readonly opts: ServiceProxyOptions) {}

  get mode(): ProxyMode {
    return this.opts.applier.mode;
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.opts.resyncMs ?? 30_000);
  }

  /** The latest Services/Endpoints; applied as soon as the previous apply is done. */
  set(input: ProxyInput): void {
    this.input = input;
    this.kick();
  }

  /** Resolves when the plan for the latest input is in the kernel (or failed and was logged). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.drainTimer);
    await this.settled();
  }

  private kick(): void {
    if (this.stopped || !this.input) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.applyOnce().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async applyOnce(): Promise<void> {
    const input = this.input!;
    const virtualServers = planVirtualServers({
      services: input.services as unknown as Service[],
      endpoints: input.endpoints as unknown as Endpoints[],
      node: { name: this.opts.nodeName, addresses: input.nodeAddresses },
    });
    try {
      const report = await this.opts.applier.apply({ virtualServers, vips: planVips(virtualServers, { addresses: input.nodeAddresses }), clusterPodCidr: this.opts.clusterPodCidr });
      this.applied++;
      if (this.failing) this.opts.log(`service proxy (${this.mode}): applying again`);
      this.failing = false;
      if (report.pending) {
        clearTimeout(this.drainTimer);
        this.drainTimer = setTimeout(() => this.kick(), this.opts.drainMs ?? 10_000);
      }
    } catch (e) {
      // Logged once per failing streak; the resync retries.
      if (!this.failing) this.opts.log(`service proxy (${this.mode}): ${e instanceof Error ? e.message : String(e)}`);
      this.failing = true;
    }
  }
}
