// A StatefulSet's status from its member pods: how many exist, are ready,
// available, of the current and of the update revision; and when every pod
// is updated and ready, the rollout is complete and the update revision
// becomes the current one.

import type { StatefulSet } from "../../resources/apps.ts";
import type { KubeObject } from "../../resources/object.ts";
import { isPodAvailable, isPodReady, podPhase } from "../pods.ts";
import { podRevision } from "./identity.ts";

export interface StatefulSetStatusFields {
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  currentRevision: string;
  updateRevision: string;
}

export function isRunningAndReady(pod: KubeObject): boolean {
  return podPhase(pod) === "Running" && isPodReady(pod);
}

export function isRunningAndAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  return podPhase(pod) === "Running" && isPodAvailable(pod, minReadySeconds, now);
}

export function isTerminating(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

/**
 * computeReplicaStatus and completeRollingUpdate of Kubernetes. Unlike
 * Kubernetes, an OnDelete set also moves its current revision forward once
 * every pod runs the update revision (Kubernetes leaves it stale there).
 */
export function statefulSetStatus(
  sts: StatefulSet,
  pods: readonly KubeObject[],
  revisions: { current: string; update: string },
  now: number,
): StatefulSetStatusFields {
  const minReady = sts.spec.minReadySeconds ?? 0;
  const s: StatefulSetStatusFields = {
    observedGeneration: sts.metadata.generation ?? 0,
    replicas: 0,
    readyReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    availableReplicas: 0,
    currentRevision: revisions.current,
    updateRevision: revisions.update,
  };
  for (const pod of pods) {
    s.replicas++;
    if (isRunningAndReady(pod)) {
      s.readyReplicas++;
      if (isRunningAndAvailable(pod, minReady, now)) s.availableReplicas++;
    }
    if (isTerminating(pod)) continue;
    const rev = podRevision(pod);
    if (rev === revisions.current) s.currentReplicas++;
    if (rev === revisions.update) s.updatedReplicas++;
  }
  if (s.updatedReplicas === s.replicas && s.readyReplicas === s.replicas) {
    s.currentRevision = s.updateRevision;
    s.currentReplicas = s.updatedReplicas;
  }
  return s;
}

export function sameStatefulSetStatus(current: StatefulSet["status"], next: StatefulSetStatusFields): boolean {
  return (Object.keys(next) as (keyof StatefulSetStatusFields)[]).every((k) => current[k] === next[k]);
}
