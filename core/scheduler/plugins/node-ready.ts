// NodeReady (Filter): a node whose Ready condition is not True takes no new
// Pods. Kubernetes gets the same effect from the node lifecycle controller's
// node.kubernetes.io/not-ready and /unreachable NoSchedule taints, so the
// check and its message follow those taints, and a Pod that tolerates them
// (a DaemonSet Pod) still fits.

import type { Toleration } from "../../resources/pod.ts";
import { SUCCESS, unresolvable, type FilterPlugin, type Status } from "../framework.ts";
import { tolerationsTolerateTaint, untoleratedTaintReason } from "./taint-toleration.ts";

export const NODE_READY = "NodeReady";
export const NOT_READY_TAINT_KEY = "node.kubernetes.io/not-ready";
export const UNREACHABLE_TAINT_KEY = "node.kubernetes.io/unreachable";

/**
 * The taint key a Ready condition status stands for, or undefined when the
 * node is Ready. Unknown means the node stopped reporting (unreachable); no
 * condition at all is a node that has not reported yet (not-ready).
 */
export function notReadyTaintKey(ready: string | undefined): string | undefined {
  if (ready === "True") return undefined;
  return ready === "Unknown" ? UNREACHABLE_TAINT_KEY : NOT_READY_TAINT_KEY;
}

/** The taint key that keeps the Pod off the node, or undefined when readiness does not. */
export function readinessBlocks(ready: string | undefined, tolerations: readonly Toleration[]): string | undefined {
  const key = notReadyTaintKey(ready);
  if (!key || tolerationsTolerateTaint(tolerations, { key, effect: "NoSchedule" })) return undefined;
  return key;
}

const NOT_READY = unresolvable(untoleratedTaintReason({ key: NOT_READY_TAINT_KEY }));
const UNREACHABLE = unresolvable(untoleratedTaintReason({ key: UNREACHABLE_TAINT_KEY }));

export const nodeReady: FilterPlugin = {
  name: NODE_READY,
  filter(_state, pod, node): Status {
    if (node.ready === "True") return SUCCESS;
    const key = readinessBlocks(node.ready, pod.tolerations);
    return key === undefined ? SUCCESS : key === UNREACHABLE_TAINT_KEY ? UNREACHABLE : NOT_READY;
  },
};
