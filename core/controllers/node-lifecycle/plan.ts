// Pure plans of the node lifecycle controller: what a node's conditions and
// NoExecute taints should be given when it was last heard from, and which
// pods on a tainted node must go now or when to look again.

import { NOT_READY_TAINT, UNREACHABLE_TAINT } from "../../registry/admission/default-tolerations.ts";
import type { KubeObject } from "../../resources/object.ts";
import { rfc3339 } from "../../clock.ts";
import { toleratesTaint } from "../../scheduler/plugins/taint-toleration.ts";
import type { Toleration } from "../../resources/pod.ts";

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}


interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

interface NodeShape {
  spec?: { taints?: Taint[] };
  status?: { conditions?: NodeCondition[] };
}

export function readyStatus(node: KubeObject): string | undefined {
  return (node as NodeShape).status?.conditions?.find((c) => c.type === "Ready")?.status;
}

export function nodeTaints(node: KubeObject): Taint[] {
  return (node as NodeShape).spec?.taints ?? [];
}

/** Conditions marked Unknown because the node stopped reporting; undefined if they already are. */
export function planUnknownConditions(node: KubeObject, nowMs: number): NodeCondition[] | undefined {
  const conditions = (node as NodeShape).status?.conditions ?? [];
  if (conditions.length && conditions.every((c) => c.status === "Unknown")) return undefined;
  const now = rfc3339(nowMs);
  const base = conditions.length ? conditions : [{ type: "Ready", status: "Unknown" }];
  return base.map((c) => ({
    ...c,
    status: "Unknown",
    reason: "NodeStatusUnknown",
    message: "Kubelet stopped posting node status.",
    lastTransitionTime: c.status === "Unknown" && c.lastTransitionTime ? c.lastTransitionTime : now,
  }));
}

/** The node's taints with the lifecycle NoExecute taints it should carry (timeAdded kept when present). */
export function planLifecycleTaints(node: KubeObject, opts: { unreachable: boolean; nowMs: number }): Taint[] {
  const current = nodeTaints(node);
  const ready = readyStatus(node);
  const want = opts.unreachable || ready === "Unknown" ? UNREACHABLE_TAINT : ready === "False" ? NOT_READY_TAINT : undefined;
  const others = current.filter((t) => !((t.key === UNREACHABLE_TAINT || t.key === NOT_READY_TAINT) && t.effect === "NoExecute"));
  if (!want) return others;
  const existing = current.find((t) => t.key === want && t.effect === "NoExecute");
  return [...others, existing ?? { key: want, effect: "NoExecute", timeAdded: rfc3339(opts.nowMs) }];
}


export interface EvictionPlan {
  evict: KubeObject[];
  /** Earliest time (ms) a tolerated pod's tolerationSeconds runs out. */
  recheckAt?: number;
}

/** Pods on a node with NoExecute taints that must be evicted at `nowMs`. */
export function planEvictions(taints: readonly Taint[], pods: readonly KubeObject[], nowMs: number): EvictionPlan {
  const noExecute = taints.filter((t) => t.effect === "NoExecute");
  const plan: EvictionPlan = { evict: [] };
  if (!noExecute.length) return plan;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const tolerations = ((pod.spec as { tolerations?: Toleration[] } | undefined)?.tolerations ?? []) as Toleration[];
    let deadline = Infinity;
    let untolerated = false;
    for (const taint of noExecute) {
      const matching = tolerations.filter((t) => toleratesTaint(t, taint as Parameters<typeof toleratesTaint>[1]));
      if (!matching.length) {
        untolerated = true;
        break;
      }
      // The most permissive matching toleration decides; none with seconds means forever.
      if (matching.some((t) => t.tolerationSeconds === undefined)) continue;
      const seconds = Math.max(...matching.map((t) => t.tolerationSeconds ?? 0));
      const added = taint.timeAdded ? Date.parse(taint.timeAdded) : nowMs;
      deadline = Math.min(deadline, added + Math.max(0, seconds) * 1000);
    }
    if (untolerated || deadline <= nowMs) plan.evict.push(pod);
    else if (deadline !== Infinity) plan.recheckAt = Math.min(plan.recheckAt ?? Infinity, deadline);
  }
  return plan;
}
