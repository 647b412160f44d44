// The DaemonSet planner: given a DaemonSet, the Nodes and its pods, what to
// create and delete so each eligible node runs exactly one daemon pod, then
// (when nothing else is to do) the next rolling-update step, plus the status
// to write. Pure: the controller applies the plan.

import type { DaemonSet } from "../../resources/apps.ts";
import type { Node } from "../../resources/cluster.ts";
import type { KubeObject } from "../../resources/object.ts";
import { isPodReady, podPhase } from "../pods.ts";
import { daemonPodSpec, daemonSetHash, newDaemonPod } from "./daemon-pod.ts";
import { allowsSurge, daemonPodsByNode, isDeleting, isUpdated, nextAvailableIn, type DaemonSetAction, type NodeDaemonPods } from "./model.ts";
import { planDaemonSetRollout } from "./rolling-update.ts";
import { daemonSetStatus, type DaemonSetStatusFields } from "./status.ts";

export interface DaemonSetPlanInput {
  ds: DaemonSet;
  nodes: readonly Node[];
  /** The pods the DaemonSet controls. */
  pods: readonly KubeObject[];
  now: number;
  /** Per node name: until when (ms) a failed pod there is left alone, so a pod the node keeps failing does not hot-loop. */
  failedBackoff?: ReadonlyMap<string, number>;
}

export interface DaemonSetPlan {
  actions: DaemonSetAction[];
  status: DaemonSetStatusFields;
  /** Look again after this many ms (a pod turning available, a back-off ending). */
  requeueAfter?: number;
}

/** With surge, a node may hold one old and one new pod while the new one gets ready; anything else is a duplicate. */
function dedupeWithSurge(running: readonly KubeObject[], hash: string, actions: DaemonSetAction[]): void {
  let oldestNew: KubeObject | undefined;
  let oldestOld: KubeObject | undefined;
  for (const pod of running) {
    if (isUpdated(pod, hash)) {
      if (!oldestNew) {
        oldestNew = pod;
        continue;
      }
    } else if (!oldestOld) {
      oldestOld = pod;
      continue;
    }
    actions.push({ type: "delete", pod, reason: "duplicate" });
  }
  if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodReady(oldestNew))) {
    actions.push({ type: "delete", pod: oldestOld, reason: "rollout" });
  }
}

/** manage() of Kubernetes' daemon controller, node by node. */
function planNodes(ds: DaemonSet, nodes: readonly NodeDaemonPods[], hash: string, input: DaemonSetPlanInput, waits: number[]): DaemonSetAction[] {
  const actions: DaemonSetAction[] = [];
  const surge = allowsSurge(ds);
  for (const { node, eligibility, pods } of nodes) {
    const live = pods.filter((p) => !isDeleting(p));
    if (!eligibility || !eligibility.shouldContinueRunning) {
      for (const pod of live) actions.push({ type: "delete", pod, reason: eligibility ? "ineligible" : "node-gone" });
      continue;
    }
    // A pod still being deleted counts as present: its replacement waits until it is gone.
    if (pods.length === 0) {
      if (eligibility.shouldRun) actions.push({ type: "create", nodeName: node, pod: newDaemonPod(ds, node, hash) });
      continue;
    }
    const running: KubeObject[] = [];
    for (const pod of live) {
      const phase = podPhase(pod);
      if (phase === "Failed") {
        const until = input.failedBackoff?.get(node) ?? 0;
        if (until > input.now) waits.push(until - input.now);
        else actions.push({ type: "delete", pod, reason: "failed" });
      } else if (phase === "Succeeded") {
        actions.push({ type: "delete", pod, reason: "succeeded" });
      } else {
        running.push(pod);
      }
    }
    if (surge) dedupeWithSurge(running, hash, actions);
    else for (const pod of running.slice(1)) actions.push({ type: "delete", pod, reason: "duplicate" });
  }
  return actions;
}

export function planDaemonSet(input: DaemonSetPlanInput): DaemonSetPlan {
  const { ds, now } = input;
  const hash = daemonSetHash(ds);
  const nodes = daemonPodsByNode(daemonPodSpec(ds), input.nodes, input.pods);
  const status = daemonSetStatus(ds, nodes, hash, now);
  const waits: number[] = [];
  const availableIn = nextAvailableIn(input.pods, ds.spec.minReadySeconds ?? 0, now);
  if (availableIn !== undefined) waits.push(availableIn);
  let actions: DaemonSetAction[] = [];
  // A DaemonSet being deleted is left to the garbage collector.
  if (!isDeleting(ds as KubeObject)) {
    actions = planNodes(ds, nodes, hash, input, waits);
    // Like Kubernetes (which waits for its expectations), the rollout moves only once the per-node plan is done.
    if (actions.length === 0 && ds.spec.updateStrategy.type === "RollingUpdate") actions = planDaemonSetRollout(ds, nodes, hash, now);
  }
  return { actions, status, ...(waits.length ? { requeueAfter: Math.min(...waits) } : {}) };
}
