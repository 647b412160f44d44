// The latest usage sample of each node, as its agent sent it over the mesh
// (every 10 s). In memory only: samples are rewritten every period and an SD
// card would wear out under them. A sample older than maxAgeMs (its agent is
// gone, or stopped reporting, for that long) counts as none; forget() drops a
// deleted node's at once.

import type { MetricsReport } from "../../core/mesh/messages.ts";

export interface NodeSample {
  node: string;
  report: MetricsReport;
  receivedAtMs: number;
}

export interface NodeMetricsOptions {
  /** Default 2 min. */
  maxAgeMs?: number;
  now?: () => number;
}

export class NodeMetrics {
  private readonly samples = new Map<string, NodeSample>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(opts: NodeMetricsOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? 120_000;
    this.now = opts.now ?? Date.now;
  }

  record(node: string, report: MetricsReport): void {
    this.samples.set(node, { node, report, receivedAtMs: this.now() });
  }

  forget(node: string): void {
    this.samples.delete(node);
  }

  /** The node's sample, unless it is too old. */
  get(node: string): NodeSample | undefined {
    this.prune();
    return this.samples.get(node);
  }

  /** Every node's current sample, by node name. */
  list(): NodeSample[] {
    this.prune();
    return [...this.samples.values()].sort((a, b) => a.node.localeCompare(b.node));
  }

  private prune(): void {
    const oldest = this.now() - this.maxAgeMs;
    for (const [node, s] of this.samples) if (s.receivedAtMs < oldest) this.samples.delete(node);
  }
}
