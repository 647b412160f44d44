// Pods as kubectl prints them (printPod in kubernetes/pkg/printers/internalversion):
// STATUS is the phase refined by init progress, container waiting/terminated
// reasons and deletion, READY counts ready running containers.

import type { KubeObject } from "../../resources/object.ts";
import { ageSince } from "../age.ts";
import { AGE_COLUMN, NAME_COLUMN, arr, at, col, nameOf, num, rec, str, type Rec } from "../fields.ts";
import type { Cell, KindPrinter } from "../types.ts";

/** The STATUS cell: what `kubectl get pods` shows. */
export function podStatusReason(pod: KubeObject): string {
  const status = rec(pod.status);
  let reason = str(status.reason) || str(status.phase);
  const initSpecs = arr(at(pod, "spec", "initContainers"));
  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const state = rec(initStatuses[i]!.state);
    const terminated = state.terminated === undefined ? undefined : rec(state.terminated);
    const waiting = state.waiting === undefined ? undefined : rec(state.waiting);
    if (terminated && num(terminated.exitCode) === 0) continue;
    if (terminated) {
      if (!str(terminated.reason)) {
        reason = num(terminated.signal) !== 0 ? `Init:Signal:${num(terminated.signal)}` : `Init:ExitCode:${num(terminated.exitCode)}`;
      } else reason = `Init:${str(terminated.reason)}`;
    } else if (waiting && str(waiting.reason) && str(waiting.reason) !== "PodInitializing") {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }
  if (!initializing) {
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      const state = rec(c.state);
      const waiting = rec(state.waiting);
      const terminated = state.terminated === undefined ? undefined : rec(state.terminated);
      if (str(waiting.reason)) reason = str(waiting.reason);
      else if (terminated && str(terminated.reason)) reason = str(terminated.reason);
      else if (terminated) reason = num(terminated.signal) !== 0 ? `Signal:${num(terminated.signal)}` : `ExitCode:${num(terminated.exitCode)}`;
      else if (c.ready === true && state.running !== undefined) hasRunning = true;
    }
    // a restarting container reports Completed while a sibling still runs
    if (reason === "Completed" && hasRunning) reason = hasReadyCondition(status) ? "Running" : "NotReady";
  }
  if (pod.metadata.deletionTimestamp && str(status.reason) === "NodeLost") return "Unknown";
  if (pod.metadata.deletionTimestamp) return "Terminating";
  return reason;
}

function hasReadyCondition(status: Rec): boolean {
  return arr(status.conditions).some((c) => c.type === "Ready" && c.status === "True");
}

function restarts(pod: KubeObject): number {
  const status = rec(pod.status);
  // while init containers run, the restarts so far of the init containers are the ones shown
  let initRestarts = 0;
  for (const c of arr(status.initContainerStatuses)) {
    initRestarts += num(c.restartCount);
    const state = rec(c.state);
    if (!(state.terminated !== undefined && num(rec(state.terminated).exitCode) === 0)) return initRestarts;
  }
  return arr(status.containerStatuses).reduce((n, c) => n + num(c.restartCount), 0);
}

function readyCount(pod: KubeObject): number {
  return arr(at(pod, "status", "containerStatuses")).filter((c) => c.ready === true && rec(c.state).running !== undefined).length;
}

function readinessGates(pod: KubeObject): string {
  const gates = arr(at(pod, "spec", "readinessGates"));
  if (gates.length === 0) return "<none>";
  const conditions = arr(at(pod, "status", "conditions"));
  const ok = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === "True").length;
  return `${ok}/${gates.length}`;
}

export const podPrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    col("Ready", { description: "The aggregate readiness state of this pod for accepting traffic." }),
    col("Status", { description: "The aggregate status of the containers in this pod." }),
    col("Restarts", { type: "integer", description: "The number of times the containers in this pod have been restarted." }),
    AGE_COLUMN,
    col("IP", { priority: 1, description: "IP address assigned to the pod" }),
    col("Node", { priority: 1, description: "Name of the node where the pod is running" }),
    col("Nominated Node", { priority: 1, description: "Name of the node where the pod is nominated to run" }),
    col("Readiness Gates", { priority: 1, description: "The readiness gates of the pod" }),
  ],
  row(pod, nowMs): Cell[] {
    const status = rec(pod.status);
    const ip = str(rec(arr(status.podIPs)[0]).ip) || str(status.podIP) || "<none>";
    return [
      nameOf(pod),
      `${readyCount(pod)}/${arr(at(pod, "spec", "containers")).length}`,
      podStatusReason(pod),
      restarts(pod),
      ageSince(pod.metadata.creationTimestamp, nowMs),
      ip,
      str(at(pod, "spec", "nodeName")) || "<none>",
      str(status.nominatedNodeName) || "<none>",
      readinessGates(pod),
    ];
  },
};
