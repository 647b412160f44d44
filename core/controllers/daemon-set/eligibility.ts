// Which nodes a DaemonSet runs on: NodeShouldRunDaemonPod of Kubernetes'
// DaemonSet controller, as a pure predicate over the daemon pod's spec (with
// the daemon tolerations already added) and one Node.

import type { Node } from "../../resources/cluster.ts";
import type { PodSpec } from "../../resources/pod.ts";
import { fitsNodeAffinity, type NodePlacementSpec } from "./node-affinity.ts";
import { findUntoleratedTaint } from "./taints.ts";

export interface Eligibility {
  /** A daemon pod should be created on the node if it has none. */
  shouldRun: boolean;
  /** A daemon pod already there may stay (false: delete it). */
  shouldContinueRunning: boolean;
}

const NEITHER: Eligibility = { shouldRun: false, shouldContinueRunning: false };

/**
 * The node must have the template's nodeName (if any), match its nodeSelector
 * and required node affinity, and carry no NoSchedule or NoExecute taint the
 * pod does not tolerate. An untolerated NoSchedule taint only stops new pods
 * (the one running stays, counted as misscheduled); NoExecute evicts it too.
 * spec.unschedulable is not looked at: daemon pods tolerate the unschedulable
 * taint, so cordoned nodes keep their daemons.
 */
export function nodeShouldRunDaemonPod(spec: PodSpec, node: Node): Eligibility {
  const name = node.metadata.name ?? "";
  if (spec.nodeName && spec.nodeName !== name) return NEITHER;
  if (!fitsNodeAffinity(spec as NodePlacementSpec, { name, labels: node.metadata.labels ?? {} })) return NEITHER;
  const taints = node.spec.taints ?? [];
  const tolerations = spec.tolerations ?? [];
  if (findUntoleratedTaint(taints, tolerations, ["NoExecute"])) return NEITHER;
  if (findUntoleratedTaint(taints, tolerations, ["NoSchedule"])) return { shouldRun: false, shouldContinueRunning: true };
  return { shouldRun: true, shouldContinueRunning: true };
}
