// Nodes, Namespaces and Events as kubectl prints them.

import { ageSince } from "../age.ts";
import { AGE_COLUMN, NAME_COLUMN, arr, at, col, nameOf, num, rec, str } from "../fields.ts";
import type { KindPrinter } from "../types.ts";

/** The STATUS cell: Ready / NotReady / Unknown, plus SchedulingDisabled when cordoned. */
export function nodeStatus(node: unknown): string {
  const ready = arr(at(node, "status", "conditions")).find((c) => c.type === "Ready");
  const status = [ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (at(node, "spec", "unschedulable") === true) status.push("SchedulingDisabled");
  return status.join(",");
}

/** findNodeRoles: node-role.kubernetes.io/<role> labels and kubernetes.io/role. */
export function nodeRoles(node: unknown): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(rec(at(node, "metadata", "labels")))) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length);
      if (role) roles.add(role);
    } else if (k === "kubernetes.io/role" && str(v)) roles.add(str(v));
  }
  return roles.size ? [...roles].sort().join(",") : "<none>";
}

function nodeAddress(node: unknown, type: string): string {
  return str(arr(at(node, "status", "addresses")).find((a) => a.type === type)?.address) || "<none>";
}

export const nodePrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    col("Status", { description: "The status of the node" }),
    col("Roles", { description: "The roles of the node" }),
    AGE_COLUMN,
    col("Version", { description: "Kubelet Version reported by the node." }),
    col("Internal-IP", { priority: 1, description: "List of internal IPs." }),
    col("External-IP", { priority: 1, description: "List of external IPs." }),
    col("OS-Image", { priority: 1, description: "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))." }),
    col("Kernel-Version", { priority: 1, description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)." }),
    col("Container-Runtime", { priority: 1, description: "Container runtime version reported by the node." }),
  ],
  row(node, nowMs) {
    const info = rec(at(node, "status", "nodeInfo"));
    return [
      nameOf(node),
      nodeStatus(node),
      nodeRoles(node),
      ageSince(node.metadata.creationTimestamp, nowMs),
      str(info.kubeletVersion),
      nodeAddress(node, "InternalIP"),
      nodeAddress(node, "ExternalIP"),
      str(info.osImage) || "<unknown>",
      str(info.kernelVersion) || "<unknown>",
      str(info.containerRuntimeVersion) || "<unknown>",
    ];
  },
};

export const namespacePrinter: KindPrinter = {
  columns: [NAME_COLUMN, col("Status", { description: "The status of the namespace" }), AGE_COLUMN],
  row(ns, nowMs) {
    return [nameOf(ns), str(at(ns, "status", "phase")), ageSince(ns.metadata.creationTimestamp, nowMs)];
  },
};

/** kind/name of the object an event is about, kind lower-cased. */
export function eventObject(ev: unknown): string {
  const io = rec(at(ev, "involvedObject"));
  const kind = str(io.kind).toLowerCase();
  return str(io.name) ? `${kind}/${str(io.name)}` : kind;
}

export const eventPrinter: KindPrinter = {
  columns: [
    col("Last Seen", { description: "The last time this event was seen" }),
    col("Type", { description: "Type of this event" }),
    col("Reason", { description: "Why the action was taken" }),
    col("Object", { description: "The object this event is about" }),
    col("Subobject", { priority: 1, description: "The subobject this event is about" }),
    col("Source", { priority: 1, description: "The component reporting this event" }),
    col("Message", { description: "A human-readable description of the status of this operation." }),
    col("First Seen", { priority: 1, description: "The first time this event was seen" }),
    col("Count", { type: "integer", priority: 1, description: "The number of times this event has occurred" }),
    col("Name", { priority: 1, format: "name", description: "The name of this event" }),
  ],
  row(ev, nowMs) {
    const e = rec(ev);
    const first = e.firstTimestamp ? ageSince(e.firstTimestamp, nowMs) : ageSince(e.eventTime, nowMs);
    const last = e.lastTimestamp ? ageSince(e.lastTimestamp, nowMs) : first;
    const source = rec(e.source);
    return [
      last,
      str(e.type),
      str(e.reason),
      eventObject(ev),
      str(at(ev, "involvedObject", "fieldPath")),
      str(source.host) ? `${str(source.component)}, ${str(source.host)}` : str(source.component),
      str(e.message).trim(),
      first,
      num(e.count),
      nameOf(ev),
    ];
  },
};
