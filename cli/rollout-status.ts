// What `rollout status` says about a workload at one moment, word for word
// as kubectl's status viewers (kubectl/pkg/polymorphichelpers/rollout_status.go):
// a message, whether the rollout is done, or an error for a failed one.

import { TugError } from "../core/errors.ts";
import type { KindName } from "../core/resources/kinds.ts";
import type { KubeObject } from "../core/resources/object.ts";

export interface RolloutState {
  message: string;
  done: boolean;
}

type Status = Record<string, number | string | undefined | { type?: string; reason?: string }[]>;

function n(v: unknown): number {
  return typeof v === "number" ? v : 0;
}

export function rolloutState(kind: KindName, obj: KubeObject): RolloutState {
  const name = obj.metadata.name ?? "";
  const spec = (obj.spec ?? {}) as { replicas?: number; updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } } };
  const status = (obj.status ?? {}) as Status;
  const generation = obj.metadata.generation ?? 0;
  const observed = n(status.observedGeneration);
  switch (kind) {
    case "Deployment": {
      if (generation > observed) return { message: "Waiting for deployment spec update to be observed...", done: false };
      const conditions = Array.isArray(status.conditions) ? status.conditions : [];
      if (conditions.find((c) => c.type === "Progressing")?.reason === "ProgressDeadlineExceeded") {
        throw new TugError("Conflict", `deployment "${name}" exceeded its progress deadline`);
      }
      const desired = spec.replicas ?? 1;
      const updated = n(status.updatedReplicas);
      if (updated < desired) return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`, done: false };
      if (n(status.replicas) > updated) return { message: `Waiting for deployment "${name}" rollout to finish: ${n(status.replicas) - updated} old replicas are pending termination...`, done: false };
      if (n(status.availableReplicas) < updated) return { message: `Waiting for deployment "${name}" rollout to finish: ${n(status.availableReplicas)} of ${updated} updated replicas are available...`, done: false };
      return { message: `deployment "${name}" successfully rolled out`, done: true };
    }
    case "DaemonSet": {
      if (spec.updateStrategy?.type && spec.updateStrategy.type !== "RollingUpdate") throw new TugError("BadRequest", "rollout status is only available for RollingUpdate strategy type");
      if (generation > observed) return { message: "Waiting for daemon set spec update to be observed...", done: false };
      const desired = n(status.desiredNumberScheduled);
      if (n(status.updatedNumberScheduled) < desired) return { message: `Waiting for daemon set "${name}" rollout to finish: ${n(status.updatedNumberScheduled)} out of ${desired} new pods have been updated...`, done: false };
      if (n(status.numberAvailable) < desired) return { message: `Waiting for daemon set "${name}" rollout to finish: ${n(status.numberAvailable)} of ${desired} updated pods are available...`, done: false };
      return { message: `daemon set "${name}" successfully rolled out`, done: true };
    }
    case "StatefulSet": {
      if (spec.updateStrategy?.type && spec.updateStrategy.type !== "RollingUpdate") throw new TugError("BadRequest", "rollout status is only available for RollingUpdate strategy type");
      if (observed === 0 || generation > observed) return { message: "Waiting for statefulset spec update to be observed...", done: false };
      const desired = spec.replicas ?? 1;
      if (n(status.readyReplicas) < desired) return { message: `Waiting for ${desired - n(status.readyReplicas)} pods to be ready...`, done: false };
      const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
      if (partition > 0) {
        if (n(status.updatedReplicas) < desired - partition) return { message: `Waiting for partitioned roll out to finish: ${n(status.updatedReplicas)} out of ${desired - partition} new pods have been updated...`, done: false };
        return { message: `partitioned roll out complete: ${n(status.updatedReplicas)} new pods have been updated...`, done: true };
      }
      if (status.updateRevision !== status.currentRevision) return { message: `waiting for statefulset rolling update to complete ${n(status.updatedReplicas)} pods at revision ${String(status.updateRevision ?? "")}...`, done: false };
      return { message: `statefulset rolling update complete ${n(status.currentReplicas)} pods at revision ${String(status.currentRevision ?? "")}...`, done: true };
    }
    default:
      throw new TugError("BadRequest", `no status viewer has been implemented for ${kind}`);
  }
}
