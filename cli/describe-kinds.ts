// What `describe` says about each kind beyond the common metadata: the
// fields kubectl's describer for that kind prints (pods, workloads, services,
// nodes, config), with a YAML dump of spec and status for the rest.

import { stringify } from "yaml";
import { ageSince } from "../core/printers/age.ts";
import { nodeRoles } from "../core/printers/columns/cluster.ts";
import { servicePorts } from "../core/printers/columns/network.ts";
import { podStatusReason } from "../core/printers/columns/pod.ts";
import { arr, at, formatSelectorSpec, num, rec, str, strs } from "../core/printers/fields.ts";
import type { KindName } from "../core/resources/kinds.ts";
import type { KubeObject } from "../core/resources/object.ts";
import { conditionLines, fields, mapLines, table, type Field } from "./describe-format.ts";

/** Extra objects some describers show (a service's endpoints, a node's pods). */
export interface Related {
  endpoints?: KubeObject;
  nodePods?: KubeObject[];
}

function containerLines(podSpec: unknown, statuses: unknown): string[] {
  const out: string[] = [];
  for (const c of arr(rec(podSpec).containers)) {
    const st = arr(statuses).find((s) => s.name === c.name);
    const state = rec(st?.state);
    const stateName = state.running ? "Running" : state.terminated ? "Terminated" : state.waiting ? "Waiting" : "";
    const entries: Field[] = [["Image", str(c.image)]];
    const ports = arr(c.ports).map((p) => `${num(p.containerPort)}/${str(p.protocol) || "TCP"}`);
    if (ports.length) entries.push(["Port", ports.join(", ")]);
    if (strs(c.command).length) entries.push(["Command", strs(c.command)]);
    if (strs(c.args).length) entries.push(["Args", strs(c.args)]);
    if (st) {
      const reason = str(rec(state.waiting).reason) || str(rec(state.terminated).reason);
      entries.push(["State", reason ? [stateName, `  Reason: ${reason}`] : stateName]);
      entries.push(["Ready", st.ready === true ? "True" : "False"]);
      entries.push(["Restart Count", String(num(st.restartCount))]);
    }
    const env = arr(c.env).map((e) => `${str(e.name)}: ${e.valueFrom ? "(from reference)" : str(e.value)}`);
    entries.push(["Environment", env.length ? env : "<none>"]);
    out.push(`  ${str(c.name)}:`, ...fields(entries, 4));
  }
  return out;
}

function templateLines(template: unknown): string[] {
  return ["Pod Template:", ...fields([["Labels", mapLines(at(template, "metadata", "labels"))]], 2), "  Containers:", ...containerLines(at(template, "spec"), []).map((l) => `  ${l}`)];
}

export function kindLines(kind: KindName, obj: KubeObject, related: Related, nowMs: number): string[] {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  switch (kind) {
    case "Pod": {
      const controller = obj.metadata.ownerReferences?.find((o) => o.controller);
      return [
        ...fields([
          ["Node", str(spec.nodeName) ? `${str(spec.nodeName)}${str(status.hostIP) ? `/${str(status.hostIP)}` : ""}` : "<none>"],
          ["Start Time", str(status.startTime) || "<none>"],
          ["Status", podStatusReason(obj)],
          ["IP", str(status.podIP) || "<none>"],
          ["Controlled By", controller ? `${controller.kind}/${controller.name}` : "<none>"],
        ]),
        "Containers:",
        ...containerLines(spec, status.containerStatuses),
        ...conditionLines(obj, ["status", "conditions"]),
        ...fields([
          ["Volumes", arr(spec.volumes).map((v) => str(v.name))],
          ["Node-Selectors", mapLines(spec.nodeSelector)],
        ]),
      ];
    }
    case "Deployment": {
      const s = status;
      const strategy = rec(spec.strategy);
      return [
        ...fields([
          ["Selector", formatSelectorSpec(spec.selector)],
          ["Replicas", `${typeof spec.replicas === "number" ? spec.replicas : 1} desired | ${num(s.updatedReplicas)} updated | ${num(s.replicas)} total | ${num(s.availableReplicas)} available | ${num(s.unavailableReplicas)} unavailable`],
          ["StrategyType", str(strategy.type)],
          ["MinReadySeconds", String(num(spec.minReadySeconds))],
        ]),
        ...templateLines(spec.template),
        ...conditionLines(obj, ["status", "conditions"]),
      ];
    }
    case "ReplicaSet":
    case "StatefulSet":
    case "DaemonSet":
    case "Job": {
      const desired = kind === "DaemonSet" ? num(status.desiredNumberScheduled) : typeof spec.replicas === "number" ? spec.replicas : kind === "Job" ? num(spec.completions) || 1 : 1;
      const current = kind === "DaemonSet" ? num(status.currentNumberScheduled) : kind === "Job" ? num(status.succeeded) : num(status.replicas);
      return [
        ...fields([
          ["Selector", formatSelectorSpec(spec.selector)],
          [kind === "Job" ? "Completions" : "Replicas", `${current} current / ${desired} desired`],
        ]),
        ...templateLines(spec.template),
        ...conditionLines(obj, ["status", "conditions"]),
      ];
    }
    case "Service": {
      const addresses = arr(related.endpoints?.subsets).flatMap((ss) => arr(ss.addresses).flatMap((a) => arr(ss.ports).map((p) => `${str(a.ip)}:${num(p.port)}`)));
      return fields([
        ["Selector", formatSelectorSpec({ matchLabels: rec(spec.selector) }) || "<none>"],
        ["Type", str(spec.type) || "ClusterIP"],
        ["IP", str(spec.clusterIP) || "<none>"],
        ["Port(s)", servicePorts(obj)],
        ["Endpoints", addresses.length ? addresses.join(",") : "<none>"],
        ["Session Affinity", str(spec.sessionAffinity) || "None"],
      ]);
    }
    case "Node": {
      const info = rec(status.nodeInfo);
      const pods = related.nodePods ?? [];
      return [
        ...fields([
          ["Roles", nodeRoles(obj)],
          ["Taints", arr(spec.taints).map((t) => `${str(t.key)}${str(t.value) ? `=${str(t.value)}` : ""}:${str(t.effect)}`)],
          ["Unschedulable", spec.unschedulable === true ? "true" : "false"],
        ]),
        ...conditionLines(obj, ["status", "conditions"]),
        ...fields([
          ["Addresses", arr(status.addresses).map((a) => `${str(a.type)}: ${str(a.address)}`)],
          ["Capacity", Object.entries(rec(status.capacity)).map(([k, v]) => `${k}: ${str(v)}`)],
          ["Allocatable", Object.entries(rec(status.allocatable)).map(([k, v]) => `${k}: ${str(v)}`)],
        ]),
        "System Info:",
        ...fields(
          [
            ["OS Image", str(info.osImage)],
            ["Kernel Version", str(info.kernelVersion)],
            ["Architecture", str(info.architecture)],
            ["Container Runtime Version", str(info.containerRuntimeVersion)],
            ["Kubelet Version", str(info.kubeletVersion)],
          ],
          2,
        ),
        `Non-terminated Pods:  (${pods.length} in total)`,
        ...table(["Namespace", "Name", "Age"], pods.map((p) => [p.metadata.namespace ?? "", p.metadata.name ?? "", ageSince(p.metadata.creationTimestamp, nowMs)])),
      ];
    }
    case "ConfigMap":
    case "Secret": {
      const data = rec(obj.data);
      const lines = kind === "Secret" ? [...fields([["Type", str(obj.type) || "Opaque"]]), "", "Data", "===="] : ["", "Data", "===="];
      for (const [k, v] of Object.entries(data)) {
        // a Secret's values stay hidden: only their decoded size
        lines.push(kind === "Secret" ? `${k}:  ${Buffer.from(str(v), "base64").length} bytes` : `${k}:\n----\n${str(v)}`);
      }
      return lines;
    }
    default: {
      const rest: string[] = [];
      for (const key of ["spec", "status", "data", "rules", "roleRef", "subjects"]) {
        if (obj[key] === undefined) continue;
        rest.push(`${key[0]!.toUpperCase()}${key.slice(1)}:`, ...stringify(obj[key], { lineWidth: 0 }).trimEnd().split("\n").map((l) => `  ${l}`));
      }
      return rest;
    }
  }
}
