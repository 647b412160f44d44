// A DaemonSet's status from what is observed: how many nodes should run a
// daemon pod, how many do, how many of those pods are ready, available and of
// the current revision, and how many run where they should not.

import type { DaemonSet } from "../../resources/apps.ts";
import type { KubeObject } from "../../resources/object.ts";
import { isPodAvailable, isPodReady } from "../pods.ts";
import { isDeleting, isTerminal, isUpdated, type NodeDaemonPods } from "./model.ts";

export interface DaemonSetStatusFields {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  numberAvailable: number;
  numberUnavailable: number;
  updatedNumberScheduled: number;
  observedGeneration: number;
}

/** Pods that finished and are being deleted do not count (getNodesToDaemonPods without deleted terminal pods). */
function counted(pods: readonly KubeObject[]): KubeObject[] {
  return pods.filter((p) => !(isTerminal(p) && isDeleting(p)));
}

/** Nodes that no longer exist are not counted (Kubernetes iterates the node list). */
export function daemonSetStatus(ds: DaemonSet, nodes: readonly NodeDaemonPods[], hash: string, now: number): DaemonSetStatusFields {
  const minReady = ds.spec.minReadySeconds ?? 0;
  const s: DaemonSetStatusFields = {
    desiredNumberScheduled: 0,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    numberReady: 0,
    numberAvailable: 0,
    numberUnavailable: 0,
    updatedNumberScheduled: 0,
    observedGeneration: ds.metadata.generation ?? 0,
  };
  for (const { eligibility, pods } of nodes) {
    if (!eligibility) continue;
    const live = counted(pods);
    if (!eligibility.shouldRun) {
      if (live.length > 0) s.numberMisscheduled++;
      continue;
    }
    s.desiredNumberScheduled++;
    const oldest = live[0];
    if (!oldest) continue;
    s.currentNumberScheduled++;
    if (isPodReady(oldest)) {
      s.numberReady++;
      if (isPodAvailable(oldest, minReady, now)) s.numberAvailable++;
    }
    if (isUpdated(oldest, hash)) s.updatedNumberScheduled++;
  }
  s.numberUnavailable = s.desiredNumberScheduled - s.numberAvailable;
  return s;
}

/** Whether the stored status already says this (so an unchanged status is not rewritten). */
export function sameDaemonSetStatus(current: DaemonSet["status"], next: DaemonSetStatusFields): boolean {
  return (Object.keys(next) as (keyof DaemonSetStatusFields)[]).every((k) => current[k] === next[k]);
}
