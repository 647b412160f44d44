// NodeUnschedulable (Filter): a cordoned node (spec.unschedulable) takes no
// new Pods, unless the Pod tolerates the node.kubernetes.io/unschedulable
// taint (as DaemonSet Pods do).

import type { Toleration } from "../../resources/pod.ts";
import { SUCCESS, unresolvable, type FilterPlugin } from "../framework.ts";
import { tolerationsTolerateTaint } from "./taint-toleration.ts";

export const NODE_UNSCHEDULABLE = "NodeUnschedulable";
export const NODE_UNSCHEDULABLE_REASON = "node(s) were unschedulable";
export const UNSCHEDULABLE_TAINT_KEY = "node.kubernetes.io/unschedulable";

export function cordonBlocks(unschedulable: boolean | undefined, tolerations: readonly Toleration[]): boolean {
  return unschedulable === true && !tolerationsTolerateTaint(tolerations, { key: UNSCHEDULABLE_TAINT_KEY, effect: "NoSchedule" });
}

const CORDONED = unresolvable(NODE_UNSCHEDULABLE_REASON);

export const nodeUnschedulable: FilterPlugin = {
  name: NODE_UNSCHEDULABLE,
  filter(_state, pod, node) {
    return node.unschedulable && cordonBlocks(true, pod.tolerations) ? CORDONED : SUCCESS;
  },
};
