// The RollingUpdate strategy of a DaemonSet (rollingUpdate of Kubernetes'
// daemon controller): which old-revision pods to delete, or with maxSurge
// which nodes get a new pod beside the old one, within the budget. Runs only
// when the per-node plan has nothing to do, so every node has settled.

import type { DaemonSet } from "../../resources/apps.ts";
import type { KubeObject } from "../../resources/object.ts";
import { isPodAvailable } from "../pods.ts";
import { newDaemonPod } from "./daemon-pod.ts";
import { isDeleting, isUpdated, rolloutBudget, type DaemonSetAction, type NodeDaemonPods } from "./model.ts";

interface NodeRevisions {
  newPod?: KubeObject;
  oldPod?: KubeObject;
  /** false: more than one pod of a revision; the per-node plan cleans that up first. */
  ok: boolean;
}

/** findUpdatedPodsOnNode: at most one live pod of each revision. */
export function podsByRevision(pods: readonly KubeObject[], hash: string): NodeRevisions {
  const out: NodeRevisions = { ok: true };
  for (const pod of pods) {
    if (isDeleting(pod)) continue;
    const slot = isUpdated(pod, hash) ? "newPod" : "oldPod";
    if (out[slot]) return { ok: false };
    out[slot] = pod;
  }
  return out;
}

const del = (pod: KubeObject): DaemonSetAction => ({ type: "delete", pod, reason: "rollout" });

/**
 * Without surge: an unavailable old pod is replaced at once; available old
 * pods are deleted (and recreated by the next pass) only while fewer than
 * maxUnavailable daemon pods are unavailable. Candidates go in node order.
 */
function planWithoutSurge(nodes: readonly NodeDaemonPods[], hash: string, maxUnavailable: number, available: (p: KubeObject) => boolean): DaemonSetAction[] {
  let unavailable = 0;
  const replace: KubeObject[] = [];
  const candidates: KubeObject[] = [];
  for (const { eligibility, pods } of nodes) {
    if (!eligibility || pods.length === 0) continue;
    const { newPod, oldPod, ok } = podsByRevision(pods, hash);
    if (!ok || (!newPod && !oldPod) || (newPod && oldPod)) unavailable++;
    else if (newPod) {
      if (!available(newPod)) unavailable++;
    } else if (oldPod) {
      if (!available(oldPod)) replace.push(oldPod);
      else candidates.push(oldPod);
    }
  }
  const room = Math.min(Math.max(maxUnavailable - unavailable, 0), candidates.length);
  return [...replace, ...candidates.slice(0, room)].map(del);
}

/**
 * With surge: a new pod starts beside an available old one on up to maxSurge
 * nodes at a time; the old pod goes once the new one is available. An
 * unavailable old pod gets its replacement at once.
 */
function planWithSurge(ds: DaemonSet, nodes: readonly NodeDaemonPods[], hash: string, maxSurge: number, available: (p: KubeObject) => boolean): DaemonSetAction[] {
  let surging = 0;
  const actions: DaemonSetAction[] = [];
  const candidates: string[] = [];
  const create = (node: string): DaemonSetAction => ({ type: "create", nodeName: node, pod: newDaemonPod(ds, node, hash) });
  for (const { node, eligibility, pods } of nodes) {
    if (!eligibility || pods.length === 0) continue;
    const { newPod, oldPod, ok } = podsByRevision(pods, hash);
    if (!ok) surging++;
    else if (!oldPod) continue;
    else if (newPod) {
      if (available(newPod)) actions.push(del(oldPod));
      else surging++;
    } else if (!eligibility.shouldRun) {
      // No new pod may start here, so the old one cannot be replaced: it goes.
      actions.push(del(oldPod));
    } else if (!available(oldPod)) actions.push(create(node));
    else candidates.push(node);
  }
  const room = Math.max(maxSurge - surging, 0);
  return [...actions, ...candidates.slice(0, room).map(create)];
}

/** The rollout step for the current observations; empty when nothing may move yet. */
export function planDaemonSetRollout(ds: DaemonSet, nodes: readonly NodeDaemonPods[], hash: string, now: number): DaemonSetAction[] {
  const desired = nodes.filter((n) => n.eligibility?.shouldRun).length;
  const { maxSurge, maxUnavailable } = rolloutBudget(ds, desired);
  const minReady = ds.spec.minReadySeconds ?? 0;
  const available = (p: KubeObject) => isPodAvailable(p, minReady, now);
  return maxSurge > 0 ? planWithSurge(ds, nodes, hash, maxSurge, available) : planWithoutSurge(nodes, hash, maxUnavailable, available);
}
