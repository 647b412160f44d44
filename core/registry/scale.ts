// The autoscaling/v1 Scale view of objects with a `/scale` subresource.

import { TugError } from "../errors.ts";
import type { KindName } from "../resources/kinds.ts";
import type { KubeObject } from "../resources/object.ts";
import { formatLabelSelector, selectorFromSpec } from "../selectors/label-selector.ts";

interface ScalableSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
}

export function scaleOf(kind: KindName, obj: KubeObject): KubeObject {
  const spec = (obj.spec ?? {}) as ScalableSpec;
  const status = (obj.status ?? {}) as { replicas?: number };
  const m = obj.metadata;
  return {
    apiVersion: "autoscaling/v1",
    kind: "Scale",
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: formatLabelSelector(selectorFromSpec(spec.selector)) },
  };
}

/** The object with the replicas of a Scale body; the Scale's resourceVersion is kept as a precondition. */
export function withReplicas(obj: KubeObject, scale: unknown): KubeObject {
  const s = scale as { spec?: { replicas?: unknown }; metadata?: { resourceVersion?: unknown } } | null;
  const replicas = s?.spec?.replicas;
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
    throw new TugError("Invalid", `Scale "${obj.metadata.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas ?? null)}: must be a non-negative integer`, {
      name: obj.metadata.name,
      kind: "Scale",
      causes: [{ reason: "FieldValueInvalid", message: "must be a non-negative integer", field: "spec.replicas" }],
    });
  }
  const rv = s?.metadata?.resourceVersion;
  return {
    ...obj,
    metadata: { ...obj.metadata, resourceVersion: typeof rv === "string" && rv ? rv : obj.metadata.resourceVersion },
    spec: { ...(obj.spec as object), replicas },
  };
}
