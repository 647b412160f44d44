// NodePorts (Filter): a Pod's host ports must be free on the node. A port
// bound on 0.0.0.0 conflicts with the same protocol and port on any address.

import { SUCCESS, unschedulable, type FilterPlugin } from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import type { HostPort } from "../pod-info.ts";

export const NODE_PORTS = "NodePorts";
export const NODE_PORTS_CONFLICT = "node(s) didn't have free ports for the requested pod ports";

export function hasHostPortConflict(ports: readonly HostPort[], node: NodeInfo): boolean {
  for (let i = 0; i < ports.length; i++) if (node.portInUse(ports[i]!)) return true;
  return false;
}

const CONFLICT = unschedulable(NODE_PORTS_CONFLICT);

export const nodePorts: FilterPlugin = {
  name: NODE_PORTS,
  skipFilter: (_state, pod) => pod.hostPorts.length === 0,
  filter(_state, pod, node) {
    return hasHostPortConflict(pod.hostPorts, node) ? CONFLICT : SUCCESS;
  },
};
