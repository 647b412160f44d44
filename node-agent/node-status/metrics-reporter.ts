// Samples this node's CPU and memory use and its running containers' usage
// every period (default 10 s) and sends each sample to the server through
// the link (metrics.k8s.io is served from there). Rates need two samples, so
// the first report goes out one period after start. A link without
// reportMetrics (the HTTP link) gets nothing, and nothing is sampled.

import { readFile } from "node:fs/promises";
import type { MetricsReport, PodUsage } from "../../core/mesh/messages.ts";
import type { AgentLink } from "../link/agent-link.ts";
import { LABEL_CONTAINER, LABEL_NODE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, type ContainerRuntime } from "../runtime/runtime.ts";
import { cpuQuantity, cpuRateNanocores, memoryQuantity, nodeCpuNanocores, parseMemInfoWorkingSet, parseProcStat, windowDuration, type CpuCounter, type ProcStatSample } from "./metrics-sample.ts";

export interface MetricsReporterOptions {
  nodeName: string;
  link: AgentLink;
  runtime: ContainerRuntime;
  /** Default 10 s (metrics-server's resolution). */
  periodMs?: number;
  log: (line: string) => void;
}

export class MetricsReporter {
  private timer: ReturnType<typeof setInterval> | undefined;
  private node: { stat: ProcStatSample; atMs: number } | undefined;
  /** The last CPU counter of each container, by container id. */
  private containers = new Map<string, CpuCounter>();
  private busy = false;
  private failing = false;

  constructor(private readonly opts: MetricsReporterOptions) {}

  start(): void {
    if (!this.opts.link.reportMetrics || this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.opts.periodMs ?? 10_000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    // A slow runtime must not stack samples up.
    if (this.busy) return;
    this.busy = true;
    try {
      const report = await this.sample();
      if (report && this.timer) this.opts.link.reportMetrics?.(report);
      if (this.failing) this.opts.log("metrics: sampling works again");
      this.failing = false;
    } catch (e) {
      // One line per outage, not one per period.
      if (!this.failing) this.opts.log(`metrics: sampling failed: ${e instanceof Error ? e.message : String(e)}`);
      this.failing = true;
    } finally {
      this.busy = false;
    }
  }

  /** Takes a sample; returns a report once there is a previous one to make rates from. */
  async sample(): Promise<MetricsReport | undefined> {
    const [statText, memText, running] = await Promise.all([
      readFile("/proc/stat", "utf8"),
      readFile("/proc/meminfo", "utf8"),
      // A runtime that is down means no container usage, not no node usage (the node reporter says why it is down).
      this.opts.runtime
        .listContainers({ [LABEL_NODE]: this.opts.nodeName })
        .then((l) => l.filter((c) => c.state === "running"))
        .catch(() => []),
    ]);
    const atMs = Date.now();
    const stat = parseProcStat(statText);
    const memory = parseMemInfoWorkingSet(memText);
    if (!stat || memory === undefined) throw new Error("/proc/stat or /proc/meminfo has no CPU or memory totals");
    const prevNode = this.node;
    this.node = { stat, atMs };

    const pods = new Map<string, PodUsage>();
    const seen = new Map<string, CpuCounter>();
    for (const c of running) {
      const stats = await this.opts.runtime.stats(c.id);
      if (!stats) continue;
      const counter = { cpuNanos: stats.cpuNanos, atMs: Date.now() };
      seen.set(c.id, counter);
      const prev = this.containers.get(c.id);
      // A container needs two readings for a rate; it joins the report from its second one.
      if (!prev) continue;
      const namespace = c.labels[LABEL_POD_NAMESPACE] ?? "";
      const name = c.labels[LABEL_POD_NAME] ?? "";
      const key = `${namespace}/${name}`;
      let pod = pods.get(key);
      if (!pod) pods.set(key, (pod = { namespace, name, containers: [] }));
      pod.containers.push({ name: c.labels[LABEL_CONTAINER] ?? "", cpu: cpuQuantity(cpuRateNanocores(prev, counter)), memory: memoryQuantity(stats.memoryBytes) });
    }
    // Exited and removed containers are forgotten.
    this.containers = seen;
    if (!prevNode) return undefined;
    return {
      type: "metrics",
      timestamp: new Date(atMs).toISOString().replace(/\.\d+Z$/, "Z"),
      window: windowDuration(atMs - prevNode.atMs),
      node: { cpu: cpuQuantity(nodeCpuNanocores(prevNode.stat, stat)), memory: memoryQuantity(memory) },
      pods: [...pods.values()],
    };
  }
}
