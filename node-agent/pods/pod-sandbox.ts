// A pod's sandbox on this node: the runtime's sandbox (a network namespace
// and, on Docker, its infra container) wired to the pod network by CNI, or the
// host's network. Made once and kept; made again when it vanished (a reboot),
// after stopping what still ran in the old one, as kubelet does.

import type { Pod } from "../../core/resources/pod.ts";
import type { ContainerRuntime, ContainerState, Labels, Sandbox } from "../runtime/runtime.ts";
import type { PodEvents } from "./pod-events.ts";

/** The pod network the worker needs (CNI in production). */
export interface PodNetwork {
  add(sandboxId: string, netnsPath: string, ports: { hostPort: number; containerPort: number; protocol: "tcp" | "udp"; hostIP?: string }[]): Promise<{ ip: string }>;
  del(sandboxId: string, netnsPath?: string): Promise<void>;
}

export interface PodSandboxDeps {
  id: string;
  runtime: ContainerRuntime;
  /** Undefined until the node has a pod CIDR. */
  network: () => PodNetwork | undefined;
  hostIP: () => string;
  pod: () => Pod;
  labels: () => Labels;
  events: PodEvents;
  log: (line: string) => void;
}

export class PodSandbox {
  sandbox: Sandbox | undefined;
  podIP: string | undefined;
  private torndown = false;
  /** The last failure, so it is logged and recorded once, not on every sync. */
  private failure: string | undefined;

  constructor(private readonly deps: PodSandboxDeps) {}

  /**
   * Makes sure the sandbox exists with its IP. Resolves undefined when the pod
   * can run containers, else why it waits (a ContainerCreating message).
   * `observed` holds the pod's containers, `sandboxes` every sandbox id present.
   */
  async ensure(observed: ContainerState[], sandboxes: Set<string>): Promise<string | undefined> {
    const { id, runtime } = this.deps;
    const pod = this.deps.pod();
    const hostNetwork = !!pod.spec.hostNetwork;
    if (this.sandbox && sandboxes.has(id) && this.podIP) return undefined;
    const network = this.deps.network();
    if (!hostNetwork && !network) return "waiting for the node's pod CIDR";
    if (!sandboxes.has(id)) {
      // A new sandbox (first start, or the old one vanished with a reboot): containers
      // left in the old network namespace are stopped, as kubelet does.
      const stale = observed.filter((c) => c.state === "running");
      await Promise.all(stale.map((c) => runtime.stopContainer(c.id, 0)));
    }
    try {
      this.sandbox = await runtime.createSandbox({ id, hostname: pod.spec.hostname ?? pod.metadata.name!, hostNetwork, labels: this.deps.labels() });
      if (hostNetwork) this.podIP = this.deps.hostIP();
      else {
        const ports = pod.spec.containers.flatMap((c) =>
          (c.ports ?? []).filter((p) => p.hostPort).map((p) => ({ hostPort: p.hostPort!, containerPort: p.containerPort, protocol: p.protocol === "UDP" ? ("udp" as const) : ("tcp" as const), ...(p.hostIP ? { hostIP: p.hostIP } : {}) })),
        );
        this.podIP = (await network!.add(id, this.sandbox.netnsPath!, ports)).ip;
      }
      this.torndown = false;
      this.failure = undefined;
      return undefined;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (this.failure !== message) {
        this.deps.log(`pod ${pod.metadata.namespace}/${pod.metadata.name}: failed to create the pod sandbox: ${message}`);
        this.deps.events.sandboxFailed(`Failed to create pod sandbox: ${message}`);
      }
      this.failure = message;
      return `failed to create the pod sandbox: ${message}`;
    }
  }

  /** Gives the pod's IP back (a finished pod keeps its containers for logs, not its address). */
  async releaseNetwork(): Promise<void> {
    if (this.torndown) return;
    const network = this.deps.network();
    if (!this.deps.pod().spec.hostNetwork && network) await network.del(this.deps.id, `/var/run/netns/${this.deps.id}`);
    this.torndown = true;
  }

  async teardown(): Promise<void> {
    await this.releaseNetwork();
    await this.deps.runtime.removeSandbox(this.deps.id);
    this.sandbox = undefined;
    this.podIP = undefined;
  }
}
