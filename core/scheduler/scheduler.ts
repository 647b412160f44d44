// planScheduling: one scheduling decision, pure. Filter the nodes (starting
// at a place that depends on the Pod, stopping once enough feasible nodes are
// found), score the feasible ones with every Score plugin, normalise, weigh,
// and pick the best; ties go to a node chosen by the Pod's hash, so equal
// nodes share the load and the same inputs give the same answer. When no
// node fits, the answer is Kubernetes' "0/N nodes are available: ..." text.

import { SUCCESS, type CycleState, type FilterPlugin, type Framework, type Status } from "./framework.ts";
import type { NodeInfo } from "./node-info.ts";
import type { PodInfo } from "./pod-info.ts";
import { DEFAULT_FRAMEWORK } from "./registry.ts";

export type SchedulingPlan = { node: string } | { unschedulable: string };

/**
 * Buffers one caller reuses across decisions (the scheduler loop keeps one),
 * so a decision allocates nothing per node; planScheduling is synchronous,
 * so one scratch serves one caller at a time.
 */
export class PlanScratch {
  feasible: NodeInfo[] = [];
  private buffer = new Float64Array(0);
  ties = new Int32Array(0);
  /** Views of exactly m entries, kept while m stays the same (it usually does). */
  total = new Float64Array(0);
  scores = new Float64Array(0);

  fit(m: number): void {
    if (this.total.length === m) return;
    if (this.buffer.length < 2 * m) {
      const size = Math.max(m, 64);
      this.buffer = new Float64Array(2 * size);
      this.ties = new Int32Array(size);
    }
    this.total = this.buffer.subarray(0, m);
    this.scores = this.buffer.subarray(m, 2 * m);
  }
}

export interface PlanOptions {
  framework?: Framework;
  scratch?: PlanScratch;
  /**
   * Stop filtering once this percentage of the nodes is feasible (never
   * fewer than 100 nodes). 0 or unset: adaptive, as Kubernetes'
   * percentageOfNodesToScore: 50% minus 1% per 125 nodes, at least 5%.
   */
  percentageOfNodesToScore?: number;
}

export const NO_NODES_AVAILABLE = "no nodes available to schedule pods";
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** How many feasible nodes are enough to pick from (Kubernetes' numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(50 - Math.floor(numAllNodes / 125), MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
  return Math.max(Math.floor((numAllNodes * pct) / 100), MIN_FEASIBLE_NODES_TO_FIND);
}

/**
 * "0/3 nodes are available: 2 Insufficient memory, 1 node(s) had untolerated
 * taint {key: value}." Each reason is counted once per node it failed, most
 * frequent first, then alphabetically.
 */
export function formatFitError(numAllNodes: number, reasons: ReadonlyMap<string, number>): string {
  const sorted = [...reasons].sort(([ra, ca], [rb, cb]) => cb - ca || (ra < rb ? -1 : ra > rb ? 1 : 0));
  return `0/${numAllNodes} nodes are available: ${sorted.map(([r, c]) => `${c} ${r}`).join(", ")}.`;
}

/** The first rejection, or SUCCESS (plugins return the shared SUCCESS object, so the check is usually a pointer compare). */
function runFilters(filters: readonly FilterPlugin[], state: CycleState, pod: PodInfo, node: NodeInfo): Status {
  for (let i = 0; i < filters.length; i++) {
    const s = filters[i]!.filter(state, pod, node);
    if (s !== SUCCESS && s.code !== "Success") return s;
  }
  return SUCCESS;
}

/** A second, independent-looking hash of the Pod for picking among ties. */
function tieHash(h: number): number {
  let x = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return (x ^ (x >>> 16)) >>> 0;
}

function isUniform(scores: Float64Array): boolean {
  const first = scores[0];
  for (let i = 1; i < scores.length; i++) if (scores[i] !== first) return false;
  return true;
}

export function planScheduling(pod: PodInfo, nodes: readonly NodeInfo[], now: number, opts: PlanOptions = {}): SchedulingPlan {
  const n = nodes.length;
  if (n === 0) return { unschedulable: NO_NODES_AVAILABLE };
  const fw = opts.framework ?? DEFAULT_FRAMEWORK;
  const scratch = opts.scratch ?? new PlanScratch();
  const state: CycleState = { now };
  const want = numFeasibleNodesToFind(n, opts.percentageOfNodesToScore);

  const filters = fw.filters.filter((f) => !f.skipFilter?.(state, pod));
  const feasible = scratch.feasible;
  feasible.length = 0;
  let reasons: Map<string, number> | undefined;
  let idx = pod.hash % n;
  for (let i = 0; i < n && feasible.length < want; i++, idx++) {
    if (idx === n) idx = 0;
    const node = nodes[idx]!;
    const status = runFilters(filters, state, pod, node);
    if (status === SUCCESS || status.code === "Success") feasible.push(node);
    else for (const r of status.reasons) (reasons ??= new Map()).set(r, (reasons.get(r) ?? 0) + 1);
  }
  const m = feasible.length;
  if (m === 0) return { unschedulable: formatFitError(n, reasons ?? new Map()) };
  if (m === 1) return { node: feasible[0]!.name };

  scratch.fit(m);
  const total = scratch.total.fill(0);
  const scores = scratch.scores;
  const scorers = fw.scorers;
  for (let k = 0; k < scorers.length; k++) {
    const { plugin, weight } = scorers[k]!;
    if (plugin.skipScore?.(state, pod)) continue;
    plugin.score(state, pod, feasible, scores);
    // The same score everywhere (say, no node has a PreferNoSchedule taint) cannot change the winner.
    if (isUniform(scores)) continue;
    plugin.normalizeScores?.(state, pod, scores);
    for (let i = 0; i < m; i++) total[i] = total[i]! + weight * scores[i]!;
  }

  const ties = scratch.ties;
  let count = 0;
  let best = -Infinity;
  for (let i = 0; i < m; i++) {
    const t = total[i]!;
    if (t > best) {
      best = t;
      count = 0;
    }
    if (t === best) ties[count++] = i;
  }
  const chosen = feasible[ties[tieHash(pod.hash) % count]!]!.name;
  feasible.length = 0;
  return { node: chosen };
}
