// The vocabulary the DaemonSet planners share: each node with its
// eligibility and its daemon pods (oldest first), the actions a plan returns,
// and the rolling-update budget.

import type { DaemonSet } from "../../resources/apps.ts";
import type { Node } from "../../resources/cluster.ts";
import type { KubeObject } from "../../resources/object.ts";
import type { PodSpec } from "../../resources/pod.ts";
import { podNodeName, podPhase } from "../pods.ts";
import { REVISION_HASH_LABEL } from "./daemon-pod.ts";
import { nodeShouldRunDaemonPod, type Eligibility } from "./eligibility.ts";

export type DeleteReason =
  /** The pod failed (it is recreated on the next pass). */
  | "failed"
  /** The pod finished (a daemon should not, but a node shutdown can end it). */
  | "succeeded"
  /** More daemon pods than one on a node. */
  | "duplicate"
  /** The node no longer matches the DaemonSet (labels, affinity, a NoExecute taint). */
  | "ineligible"
  /** The node is gone (Kubernetes leaves this to the pod GC; tug has none, so the DaemonSet cleans up). */
  | "node-gone"
  /** An old-revision pod replaced by the rolling update. */
  | "rollout";

export type DaemonSetAction =
  | { type: "create"; nodeName: string; pod: KubeObject }
  | { type: "delete"; pod: KubeObject; reason: DeleteReason };

export interface NodeDaemonPods {
  node: string;
  /** undefined when no Node of that name exists. */
  eligibility: Eligibility | undefined;
  /** The DaemonSet's pods bound to the node, oldest first. */
  pods: KubeObject[];
}

function creationOrder(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a.metadata.name ?? "";
  const nb = b.metadata.name ?? "";
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** Every node, and every node name a pod is bound to, sorted by name. */
export function daemonPodsByNode(spec: PodSpec, nodes: readonly Node[], pods: readonly KubeObject[]): NodeDaemonPods[] {
  const out = new Map<string, NodeDaemonPods>();
  for (const node of nodes) {
    const name = node.metadata.name ?? "";
    out.set(name, { node: name, eligibility: nodeShouldRunDaemonPod(spec, node), pods: [] });
  }
  for (const pod of pods) {
    const name = podNodeName(pod);
    let entry = out.get(name);
    if (!entry) out.set(name, (entry = { node: name, eligibility: undefined, pods: [] }));
    entry.pods.push(pod);
  }
  for (const entry of out.values()) entry.pods.sort(creationOrder);
  return [...out.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

export function isTerminal(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === "Failed" || phase === "Succeeded";
}

export function isDeleting(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

export function isUpdated(pod: KubeObject, hash: string): boolean {
  return pod.metadata.labels?.[REVISION_HASH_LABEL] === hash;
}

/** An int or a percentage of `total`, rounded up (GetScaledValueFromIntOrPercent with roundUp). */
function scaled(v: number | string | undefined, total: number): number {
  if (v === undefined) return 0;
  if (typeof v === "number") return v;
  const pct = Number.parseInt(v, 10);
  if (!Number.isFinite(pct)) return 0;
  return v.endsWith("%") ? Math.ceil((pct * total) / 100) : pct;
}

export interface RolloutBudget {
  maxSurge: number;
  maxUnavailable: number;
}

/** Both budgets for `desired` nodes; both zero would stall, so unavailability falls back to 1. */
export function rolloutBudget(ds: DaemonSet, desired: number): RolloutBudget {
  const ru = ds.spec.updateStrategy.type === "RollingUpdate" ? ds.spec.updateStrategy.rollingUpdate : undefined;
  const maxSurge = scaled(ru?.maxSurge, desired);
  let maxUnavailable = scaled(ru?.maxUnavailable, desired);
  if (desired > 0 && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** Whether old and new pods may overlap on a node (maxSurge > 0). */
export function allowsSurge(ds: DaemonSet): boolean {
  return rolloutBudget(ds, 1).maxSurge > 0;
}

/** Milliseconds until the first ready-but-not-yet-available pod turns available, if any. */
export function nextAvailableIn(pods: readonly KubeObject[], minReadySeconds: number, now: number): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  let next: number | undefined;
  for (const pod of pods) {
    const ready = (pod.status as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } | undefined)?.conditions?.find(
      (c) => c.type === "Ready",
    );
    if (ready?.status !== "True" || !ready.lastTransitionTime) continue;
    const wait = Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000 - now;
    if (wait > 0 && (next === undefined || wait < next)) next = wait;
  }
  return next;
}
