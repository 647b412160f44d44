// The scheduling framework's contracts (after kube-scheduler's
// framework/interface.go): one small interface per extension point. A Filter
// plugin says whether a Pod may run on a node and returns a Status (a
// rejection is a value with reasons, never a thrown error); a Score plugin
// ranks the nodes that passed every filter, optionally normalising its scores
// to 0..MAX_NODE_SCORE. Plugins are pure and stateless: everything they read
// comes in as arguments, and they are called synchronously in one pass.

import type { NodeInfo } from "./node-info.ts";
import type { PodInfo } from "./pod-info.ts";

export const MAX_NODE_SCORE = 100;

/**
 * Unschedulable: the node may fit later (resources free up).
 * UnschedulableAndUnresolvable: only a change to the node or the Pod helps
 * (affinity, a cordon). Both fail the node; the difference is for preemption.
 */
export type StatusCode = "Success" | "Unschedulable" | "UnschedulableAndUnresolvable";

export interface Status {
  readonly code: StatusCode;
  /** The reasons shown in "0/N nodes are available: ..." (one count per reason per node). */
  readonly reasons: readonly string[];
}

export const SUCCESS: Status = Object.freeze({ code: "Success", reasons: Object.freeze([]) as readonly string[] });

export function unschedulable(...reasons: string[]): Status {
  return Object.freeze({ code: "Unschedulable", reasons: Object.freeze(reasons) });
}

export function unresolvable(...reasons: string[]): Status {
  return Object.freeze({ code: "UnschedulableAndUnresolvable", reasons: Object.freeze(reasons) });
}

/** What one scheduling cycle shares with every plugin: for now only the time, which comes in as data. */
export interface CycleState {
  readonly now: number;
}

export interface Plugin {
  readonly name: string;
}

/**
 * Called once per (Pod, node) until the first plugin that rejects the node.
 * A node that passes gets the shared SUCCESS object back.
 */
export interface FilterPlugin extends Plugin {
  /**
   * PreFilter: true when the filter would pass every node for this Pod
   * (Kubernetes' Skip status, e.g. NodePorts for a Pod without host ports),
   * so filter() is not called for this Pod at all.
   */
  skipFilter?(state: CycleState, pod: PodInfo): boolean;
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

/**
 * score() fills `scores[i]` for each feasible `nodes[i]`; normalizeScores()
 * may then rewrite them in place. After normalising, every score is in
 * 0..MAX_NODE_SCORE. Scoring takes the whole list (not one node per call) so
 * each plugin runs its own tight loop: one call per plugin per decision
 * instead of one dynamic call per plugin per node.
 */
export interface ScorePlugin extends Plugin {
  /**
   * PreScore: true when the plugin would give every node the same score for
   * this Pod (Kubernetes' Skip status), so score() is not called at all. A
   * constant score cannot change which node wins.
   */
  skipScore?(state: CycleState, pod: PodInfo): boolean;
  score(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: Float64Array): void;
  normalizeScores?(state: CycleState, pod: PodInfo, scores: Float64Array): void;
}

export function isFilterPlugin(p: Plugin): p is FilterPlugin {
  return typeof (p as Partial<FilterPlugin>).filter === "function";
}

export function isScorePlugin(p: Plugin): p is ScorePlugin {
  return typeof (p as Partial<ScorePlugin>).score === "function";
}

export type PluginFactory = () => Plugin;

/** Which plugins run, in which order (filters) and with which weight (scores). */
export interface Profile {
  filters: readonly string[];
  scores: readonly { name: string; weight: number }[];
}

export interface WeightedScorePlugin {
  plugin: ScorePlugin;
  weight: number;
}

/** A profile with its plugins built: what planScheduling runs. */
export interface Framework {
  readonly filters: readonly FilterPlugin[];
  readonly scorers: readonly WeightedScorePlugin[];
}

/** Scales scores so the highest is MAX_NODE_SCORE; `reverse` makes the lowest raw score the best (DefaultNormalizeScore). */
export function defaultNormalizeScores(scores: Float64Array, reverse: boolean): void {
  let max = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.floor((MAX_NODE_SCORE * scores[i]!) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
