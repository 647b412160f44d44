// The StatefulSet planner (updateStatefulSet of Kubernetes): which ordinal
// to create, which pod to delete for a scale-down or a rolling update, and
// the status to write. OrderedReady creates ordinal i only once 0..i-1 are
// Running and Ready and deletes from the highest ordinal, one at a time;
// Parallel creates and deletes all at once. Rolling updates go from the
// highest ordinal down to the partition, one pod at a time in both modes.
// Pure: the controller applies the actions in order.

import type { StatefulSet } from "../../resources/apps.ts";
import type { KubeObject } from "../../resources/object.ts";
import { podPhase } from "../pods.ts";
import { newStatefulPod, ordinalOf, podRevision, statefulSetHash } from "./identity.ts";
import { isRunningAndAvailable, isRunningAndReady, isTerminating, statefulSetStatus, type StatefulSetStatusFields } from "./status.ts";

export type StatefulSetAction =
  | { type: "create"; ordinal: number; pod: KubeObject }
  | { type: "delete"; pod: KubeObject; reason: "failed" | "succeeded" | "scale-down" | "update" };

export interface StatefulSetPlanInput {
  sts: StatefulSet;
  /** The pods the StatefulSet controls; those not named `<set>-<ordinal>` are ignored. */
  pods: readonly KubeObject[];
  now: number;
}

export interface StatefulSetPlan {
  actions: StatefulSetAction[];
  status: StatefulSetStatusFields;
  /** Look again after this many ms (a pod turning available after minReadySeconds). */
  requeueAfter?: number;
}

interface Slot {
  ordinal: number;
  /** An observed pod, or one this plan creates (it has no status yet). */
  pod: KubeObject;
  planned: boolean;
}

const isHealthy = (pod: KubeObject) => isRunningAndReady(pod) && !isTerminating(pod);

/** Milliseconds until the first Running and Ready pod that is not yet available turns available, if any. */
function nextAvailableIn(pods: readonly KubeObject[], minReadySeconds: number, now: number): number | undefined {
  if (minReadySeconds <= 0) return undefined;
  let next: number | undefined;
  for (const pod of pods) {
    if (!isRunningAndReady(pod) || isRunningAndAvailable(pod, minReadySeconds, now)) continue;
    const ready = (pod.status as { conditions?: { type: string; lastTransitionTime?: string }[] } | undefined)?.conditions?.find((c) => c.type === "Ready");
    const since = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
    if (!Number.isFinite(since)) continue;
    const wait = Math.max(since + minReadySeconds * 1000 - now, 1);
    if (next === undefined || wait < next) next = wait;
  }
  return next;
}

export function planStatefulSet(input: StatefulSetPlanInput): StatefulSetPlan {
  const { sts, now } = input;
  const updateRevision = statefulSetHash(sts);
  const currentRevision = sts.status.currentRevision || updateRevision;
  const members: { ordinal: number; pod: KubeObject }[] = [];
  for (const pod of input.pods) {
    const ordinal = ordinalOf(sts, pod);
    if (ordinal !== undefined) members.push({ ordinal, pod });
  }
  const status = statefulSetStatus(
    sts,
    members.map((m) => m.pod),
    { current: currentRevision, update: updateRevision },
    now,
  );
  const actions: StatefulSetAction[] = [];
  const minReady = sts.spec.minReadySeconds ?? 0;
  const requeueAfter = nextAvailableIn(
    members.map((m) => m.pod),
    minReady,
    now,
  );
  const done = (): StatefulSetPlan => ({ actions, status, ...(requeueAfter !== undefined ? { requeueAfter } : {}) });
  // A StatefulSet being deleted is left to the garbage collector.
  if (sts.metadata.deletionTimestamp) return done();

  const start = sts.spec.ordinals?.start ?? 0;
  const count = sts.spec.replicas;
  const monotonic = sts.spec.podManagementPolicy !== "Parallel";
  const byOrdinal = new Map(members.map((m) => [m.ordinal, m.pod]));
  const condemned = members.filter((m) => m.ordinal < start || m.ordinal >= start + count).sort((a, b) => a.ordinal - b.ordinal);

  const slots: Slot[] = [];
  for (let ordinal = start; ordinal < start + count; ordinal++) {
    const pod = byOrdinal.get(ordinal);
    slots.push(pod ? { ordinal, pod, planned: false } : { ordinal, pod: newStatefulPod(sts, ordinal, updateRevision), planned: true });
  }
  const firstUnhealthy = [...slots.map((s) => s.pod), ...condemned.map((c) => c.pod)].find((p) => !isHealthy(p));

  for (const slot of slots) {
    const phase = podPhase(slot.pod);
    if (!slot.planned && (phase === "Failed" || phase === "Succeeded") && !isTerminating(slot.pod)) {
      // Same name, new pod: delete, then create again below.
      actions.push({ type: "delete", pod: slot.pod, reason: phase === "Failed" ? "failed" : "succeeded" });
      slot.pod = newStatefulPod(sts, slot.ordinal, updateRevision);
      slot.planned = true;
    }
    if (slot.planned) {
      actions.push({ type: "create", ordinal: slot.ordinal, pod: slot.pod });
      if (monotonic) return done();
      continue;
    }
    if (!monotonic) continue;
    // Every predecessor must be Running, Ready (and available) before the next step.
    if (isTerminating(slot.pod) || !isRunningAndAvailable(slot.pod, minReady, now)) return done();
  }

  // Scale down from the highest ordinal, waiting for each deletion to finish.
  for (const { pod } of [...condemned].reverse()) {
    if (isTerminating(pod)) {
      if (monotonic) return done();
      continue;
    }
    if (monotonic && !isRunningAndReady(pod) && pod !== firstUnhealthy) return done();
    actions.push({ type: "delete", pod, reason: "scale-down" });
    if (monotonic) return done();
  }

  if (sts.spec.updateStrategy.type === "OnDelete") return done();
  const partition = sts.spec.updateStrategy.rollingUpdate?.partition ?? 0;
  for (let i = slots.length - 1; i >= partition; i--) {
    const slot = slots[i]!;
    if (!slot.planned && podRevision(slot.pod) !== updateRevision && !isTerminating(slot.pod)) {
      actions.push({ type: "delete", pod: slot.pod, reason: "update" });
      return done();
    }
    if (!isHealthy(slot.pod)) return done();
  }
  return done();
}
