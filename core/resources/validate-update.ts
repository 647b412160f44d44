// Update-time checks: which fields may not change once an object exists.
// Both objects are as admitted by validateObject (defaults applied), so the
// comparisons are on JSON values and need no per-kind typing.

import type { FieldCause } from "../errors.ts";
import { forbidden, invalid, IMMUTABLE_ERROR } from "./field-errors.ts";
import type { KindName } from "./kinds.ts";
import type { KubeObject } from "./object.ts";
import { deepEqual } from "../deep-equal.ts";

type Json = unknown;

function at(obj: Json, ...path: string[]): Json {
  let v = obj;
  for (const p of path) {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, Json>)[p];
  }
  return v;
}

function record(v: Json): Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, Json>) : {};
}

function list(v: Json): Json[] {
  return Array.isArray(v) ? v : [];
}

function immutable(oldObj: Json, newObj: Json, ...path: string[]): FieldCause[] {
  const next = at(newObj, ...path);
  return deepEqual(at(oldObj, ...path), next) ? [] : [invalid(path.join("."), next, IMMUTABLE_ERROR)];
}

export const POD_UPDATE_ERROR =
  "pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, " +
  "`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or " +
  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

function validatePodUpdate(oldPod: Json, newPod: Json): FieldCause[] {
  const causes: FieldCause[] = [];
  const oldSpec = record(at(oldPod, "spec"));
  const newSpec = record(at(newPod, "spec"));
  // Put the old values of the mutable fields into a copy of the new spec; what remains must be equal.
  const masked: Record<string, Json> = { ...newSpec };
  for (const f of ["containers", "initContainers"]) {
    const olds = list(oldSpec[f]);
    if (newSpec[f] !== undefined) {
      masked[f] = list(newSpec[f]).map((c, i) => (i < olds.length ? { ...record(c), image: at(olds[i], "image") } : c));
    }
  }
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  const newDeadline = newSpec.activeDeadlineSeconds;
  if (typeof oldDeadline === "number") {
    if (newDeadline === undefined) causes.push(invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"));
    else if (typeof newDeadline === "number" && newDeadline > oldDeadline) {
      causes.push(invalid("spec.activeDeadlineSeconds", newDeadline, "must be less than or equal to previous value"));
    }
  }
  masked.activeDeadlineSeconds = oldDeadline;
  const newTolerations = list(newSpec.tolerations);
  if (list(oldSpec.tolerations).every((t) => newTolerations.some((n) => deepEqual(t, n)))) masked.tolerations = oldSpec.tolerations;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (typeof oldGrace === "number" && oldGrace < 0 && newSpec.terminationGracePeriodSeconds === 1) masked.terminationGracePeriodSeconds = oldGrace;
  // tug binds pods by setting spec.nodeName (Kubernetes' pods/binding does the same write).
  if (!oldSpec.nodeName) masked.nodeName = oldSpec.nodeName;
  if (!deepEqual(masked, oldSpec)) causes.push(forbidden("spec", POD_UPDATE_ERROR));
  return causes;
}

function validateServiceUpdate(oldSvc: Json, newSvc: Json): FieldCause[] {
  // The cluster IP is fixed once allocated, except across ExternalName (which has none).
  const oldIP = at(oldSvc, "spec", "clusterIP");
  if (at(newSvc, "spec", "type") === "ExternalName" || at(oldSvc, "spec", "type") === "ExternalName" || !oldIP) return [];
  return immutable(oldSvc, newSvc, "spec", "clusterIP");
}

const IMMUTABLE_WHEN_SET = "field is immutable when `immutable` is set";

function validateConfigUpdate(oldObj: Json, newObj: Json): FieldCause[] {
  if (at(oldObj, "immutable") !== true) return [];
  const causes: FieldCause[] = [];
  if (at(newObj, "immutable") !== true) causes.push(forbidden("immutable", IMMUTABLE_WHEN_SET));
  for (const f of ["data", "binaryData"]) {
    if (!deepEqual(at(oldObj, f), at(newObj, f))) causes.push(forbidden(f, IMMUTABLE_WHEN_SET));
  }
  return causes;
}

const STATEFULSET_MUTABLE = ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];

function validateStatefulSetUpdate(oldObj: Json, newObj: Json): FieldCause[] {
  const strip = (spec: Json) => Object.fromEntries(Object.entries(record(spec)).filter(([k]) => !STATEFULSET_MUTABLE.includes(k)));
  if (deepEqual(strip(at(oldObj, "spec")), strip(at(newObj, "spec")))) return [];
  return [
    forbidden(
      "spec",
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

/** A field that may go from unset to set, and never change after. */
function setOnce(oldObj: Json, newObj: Json, ...path: string[]): FieldCause[] {
  const before = at(oldObj, ...path);
  return before === undefined || before === "" ? [] : immutable(oldObj, newObj, ...path);
}

/** A binding's roleRef is fixed: to grant another role, make another binding (as Kubernetes requires). */
function validateRoleRefUpdate(oldObj: Json, newObj: Json): FieldCause[] {
  const next = at(newObj, "roleRef");
  return deepEqual(at(oldObj, "roleRef"), next) ? [] : [invalid("roleRef", next, "cannot change roleRef")];
}

const KIND_UPDATE_RULES: { readonly [K in KindName]: (oldObj: Json, newObj: Json) => FieldCause[] } = {
  Namespace: () => [],
  Node: (o, n) => [...setOnce(o, n, "spec", "podCIDR"), ...setOnce(o, n, "spec", "providerID")],
  Pod: validatePodUpdate,
  Service: validateServiceUpdate,
  Endpoints: () => [],
  ConfigMap: validateConfigUpdate,
  Secret: (o, n) => [...validateConfigUpdate(o, n), ...immutable(o, n, "type")],
  Event: () => [],
  ServiceAccount: () => [],
  ResourceQuota: () => [],
  LimitRange: () => [],
  Deployment: (o, n) => immutable(o, n, "spec", "selector"),
  ReplicaSet: (o, n) => immutable(o, n, "spec", "selector"),
  DaemonSet: (o, n) => immutable(o, n, "spec", "selector"),
  StatefulSet: validateStatefulSetUpdate,
  Job: (o, n) => [
    ...immutable(o, n, "spec", "selector"),
    ...immutable(o, n, "spec", "template"),
    ...immutable(o, n, "spec", "completions"),
    ...immutable(o, n, "spec", "completionMode"),
  ],
  CronJob: () => [],
  Role: () => [],
  ClusterRole: () => [],
  RoleBinding: validateRoleRefUpdate,
  ClusterRoleBinding: validateRoleRefUpdate,
};

/**
 * Causes that forbid replacing `oldObj` by `newObj`; empty means allowed.
 * Call after validateObject(kind, newObj) succeeded; uid, resourceVersion and
 * creationTimestamp are the store's business and are not checked here.
 */
export function validateUpdate(kind: KindName, oldObj: KubeObject, newObj: KubeObject): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const f of ["name", "namespace"] as const) {
    const next = newObj.metadata[f] ?? "";
    if ((oldObj.metadata[f] ?? "") !== next) causes.push(invalid(`metadata.${f}`, next, IMMUTABLE_ERROR));
  }
  return [...causes, ...KIND_UPDATE_RULES[kind](oldObj, newObj)];
}
