// Admission-time validation, the entry points the API's write path calls:
// validateObject parses a body with its kind's schema (applying defaults) and
// runs Kubernetes' semantic checks; validateUpdate adds the immutability rules.

import { TugError, type FieldCause } from "../errors.ts";
import { causesFromZod, invalid } from "./field-errors.ts";
import { apiVersionOf, KINDS, type KindName } from "./kinds.ts";
import { ObjectMeta } from "./meta.ts";
import type { KubeObject } from "./object.ts";
import { SCHEMAS, type KindObjects } from "./schemas.ts";
import {
  validateConfigMap,
  validateEndpoints,
  validateEvent,
  validateNamespace,
  validateNode,
  validateSecret,
  validateService,
  validateServiceAccount,
} from "./validate-core.ts";
import { validateObjectMeta } from "./validate-meta.ts";
import { validatePodSpec } from "./validate-pod.ts";
import {
  validateCronJob,
  validateDaemonSet,
  validateDeployment,
  validateJob,
  validateReplicaSet,
  validateStatefulSet,
} from "./validate-workloads.ts";

export { validateUpdate } from "./validate-update.ts";
import { validateLimitRange, validateResourceQuota } from "./validate-policy.ts";
import { validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding } from "./validate-rbac.ts";

export type ValidationResult<T extends KubeObject = KubeObject> = { ok: true; object: T } | { ok: false; causes: FieldCause[] };

const KIND_VALIDATORS: { readonly [K in KindName]: (obj: KindObjects[K]) => FieldCause[] } = {
  Namespace: validateNamespace,
  Node: validateNode,
  Pod: (pod) => validatePodSpec(pod.spec, "spec"),
  Service: validateService,
  Endpoints: validateEndpoints,
  ConfigMap: validateConfigMap,
  Secret: validateSecret,
  Event: validateEvent,
  ServiceAccount: validateServiceAccount,
  ResourceQuota: validateResourceQuota,
  LimitRange: validateLimitRange,
  Deployment: validateDeployment,
  ReplicaSet: validateReplicaSet,
  DaemonSet: validateDaemonSet,
  StatefulSet: validateStatefulSet,
  Job: validateJob,
  CronJob: validateCronJob,
  Role: validateRole,
  ClusterRole: validateClusterRole,
  RoleBinding: validateRoleBinding,
  ClusterRoleBinding: validateClusterRoleBinding,
};

/**
 * Go's JSON decoding treats `null` as "unset"; so do we, before the schema
 * sees it. A `__proto__` key is dropped so it cannot swap an object's prototype.
 */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) if (val !== null && k !== "__proto__") out[k] = dropNulls(val);
  return out;
}

/**
 * Parses `raw` as a `kind` (defaults applied, unknown fields kept) and runs
 * the semantic checks. Never mutates `raw`. The caller sets
 * metadata.namespace from the request first, as Kubernetes does: a namespaced
 * kind without one is `metadata.namespace: Required value`.
 */
export function validateObject<K extends KindName>(kind: K, raw: unknown): ValidationResult<KindObjects[K]> {
  const input = dropNulls(raw);
  const parsed = SCHEMAS[kind].safeParse(input);
  if (!parsed.success) {
    // Report metadata problems alongside shape errors, as Kubernetes lists every bad field.
    const meta = ObjectMeta.safeParse(typeof input === "object" && input !== null ? (input as { metadata?: unknown }).metadata ?? {} : {});
    const metaCauses = meta.success ? validateObjectMeta(kind, meta.data) : [];
    return { ok: false, causes: [...metaCauses, ...causesFromZod(parsed.error, input)] };
  }
  const obj = parsed.data;
  const causes: FieldCause[] = [];
  if (obj.apiVersion !== apiVersionOf(kind)) causes.push(invalid("apiVersion", obj.apiVersion, `must be ${apiVersionOf(kind)}`));
  if (obj.kind !== kind) causes.push(invalid("kind", obj.kind, `must be ${kind}`));
  causes.push(...validateObjectMeta(kind, obj.metadata));
  causes.push(...KIND_VALIDATORS[kind](obj));
  return causes.length ? { ok: false, causes } : { ok: true, object: obj };
}

/** `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: ...`, as Kubernetes words it. */
export function invalidError(kind: KindName, name: string, causes: readonly FieldCause[]): TugError {
  const { group } = KINDS[kind];
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const detail = list.length === 1 ? (list[0] ?? "") : `[${list.join(", ")}]`;
  return new TugError("Invalid", `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${detail}`, {
    name,
    group,
    kind,
    causes: [...causes],
  });
}
