// Keeps this machine's Node on the server: registers it, then posts its
// status every period (facts, pressure, runtime readiness). Hands the
// server's Node (pod CIDR) to whoever listens. Without a runtime the node is
// NotReady with a message naming what to install, until one appears.

import type { KubeObject } from "../../core/resources/object.ts";
import { rfc3339 } from "../../core/clock.ts";
import type { Condition } from "../../core/resources/meta.ts";
import type { AgentLink } from "../link/agent-link.ts";
import type { ContainerRuntime } from "../runtime/runtime.ts";
import { collectNodeFacts, collectPressure, collectThermal, type NodeFacts } from "./node-facts.ts";
import { planNodeStatus } from "./node-status.ts";

export interface NodeReporterOptions {
  link: AgentLink;
  runtime: ContainerRuntime;
  dataDir: string;
  agentVersion: string;
  /** How often status is posted (default 10 s). */
  periodMs?: number;
  maxPods?: number;
  reserved?: { cpuMillis: number; memoryBytes: number };
  /** The Node's name, for the kubernetes.io/hostname label. */
  nodeName?: string;
  /** The service proxy's dataplane ("ipvs" | "nftables"), reported as an annotation. */
  proxyMode?: () => string | undefined;
  /** Extra labels for the Node (e.g. node-role). */
  labels?: Record<string, string>;
  log: (line: string) => void;
}

export class NodeReporter {
  private facts: NodeFacts | undefined;
  private factsAt = 0;
  private previous: Condition[] | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private listeners: ((node: KubeObject) => void)[] = [];
  private runtimeProblem: string | undefined;
  private serverProblem: string | undefined;

  constructor(private readonly opts: NodeReporterOptions) {}

  onNode(fn: (node: KubeObject) => void): void {
    this.listeners.push(fn);
  }

  /** The node's InternalIP (127.0.0.1 until the facts are read). */
  hostIP(): string {
    return this.facts?.addresses.find((a) => a.type === "InternalIP")?.address ?? "127.0.0.1";
  }

  /** The node's InternalIP addresses (empty until the facts are read). */
  addresses(): string[] {
    return (this.facts?.addresses ?? []).filter((a) => a.type === "InternalIP").map((a) => a.address);
  }

  start(): void {
    const loop = async () => {
      await this.report();
      if (!this.stopped) this.timer = setTimeout(loop, this.opts.periodMs ?? 10_000);
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async report(): Promise<void> {
    try {
      const now = Date.now();
      if (!this.facts || now - this.factsAt > 300_000) {
        this.facts = await collectNodeFacts({ dataDir: this.opts.dataDir, previous: this.facts });
        this.factsAt = now;
        for (const p of this.facts.problems) this.opts.log(`node facts: ${p}`);
      } else {
        const thermal = await collectThermal();
        this.facts = { ...this.facts, socTemperatureCelsius: thermal.socTemperatureCelsius, throttledFlags: thermal.throttledFlags };
      }
      const readings = await collectPressure({ dataDir: this.opts.dataDir });
      let runtimeVersion: string | undefined;
      let runtimeReady: { ok: boolean; reason?: string; message?: string } = { ok: true };
      try {
        runtimeVersion = await this.opts.runtime.version();
        if (this.runtimeProblem) this.opts.log(`container runtime ${runtimeVersion} is back`);
        this.runtimeProblem = undefined;
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (message !== this.runtimeProblem) this.opts.log(message);
        this.runtimeProblem = message;
        runtimeReady = { ok: false, reason: "ContainerRuntimeUnavailable", message };
      }
      const plan = planNodeStatus({
        facts: this.facts,
        readings,
        runtimeVersion,
        runtimeReady,
        previous: this.previous,
        now: rfc3339(now),
        reserved: this.opts.reserved ?? { cpuMillis: 0, memoryBytes: 0 },
        maxPods: this.opts.maxPods ?? 110,
        // No kubelet port: the server reaches the agent over the mesh.
        kubeletPort: 0,
        agentVersion: this.opts.agentVersion,
        proxyMode: this.opts.proxyMode?.(),
        ...(this.opts.nodeName ? { nodeName: this.opts.nodeName } : {}),
      });
      const node = await this.opts.link.upsertNode({ labels: { ...plan.labels, ...this.opts.labels }, annotations: plan.annotations, status: plan.status as Record<string, unknown> });
      this.previous = (node.status as { conditions?: Condition[] } | undefined)?.conditions;
      this.serverProblem = undefined;
      for (const fn of this.listeners) fn(node);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (message !== this.serverProblem) this.opts.log(`node status: ${message}`);
      this.serverProblem = message;
    }
  }
}
