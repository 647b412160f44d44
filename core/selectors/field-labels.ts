// Which field labels each kind can be selected by, and how each is read from
// an object: the `ToSelectableFields` functions of kube-apiserver's registry.
// Values are strings; an absent field reads as Go's zero value, so
// `spec.unschedulable=false` matches a Node without the field.

import type { KindName } from "../resources/kinds.ts";
import type { KubeObject } from "../resources/object.ts";

export type FieldGetter = (obj: KubeObject) => string;

function lookup(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (typeof cur !== "object" || cur === null || !Object.hasOwn(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function asString(v: unknown, absent: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return absent;
}

/** Reads the dotted `path` (default: the label itself) as a string. */
export function fieldAt(path: string, absent = ""): FieldGetter {
  return (obj) => asString(lookup(obj, path), absent);
}

const META: Record<string, FieldGetter> = {
  "metadata.name": fieldAt("metadata.name"),
  "metadata.namespace": fieldAt("metadata.namespace"),
};

function fields(...labels: (string | [label: string, getter: FieldGetter])[]): Readonly<Record<string, FieldGetter>> {
  const out: Record<string, FieldGetter> = { ...META };
  for (const l of labels) {
    if (typeof l === "string") out[l] = fieldAt(l);
    else out[l[0]] = l[1];
  }
  return out;
}

const podIP: FieldGetter = (obj) => asString(lookup(obj, "status.podIPs.0.ip") ?? lookup(obj, "status.podIP"), "");

// Event's `source` falls back to reportingComponent, as kube-apiserver does.
const eventSource: FieldGetter = (obj) => asString(lookup(obj, "source.component"), "") || asString(lookup(obj, "reportingComponent"), "");

const replicas: [string, FieldGetter] = ["status.replicas", fieldAt("status.replicas", "0")];

export const FIELD_LABELS: Record<KindName, Readonly<Record<string, FieldGetter>>> = {
  Namespace: fields("status.phase"),
  Node: fields(["spec.unschedulable", fieldAt("spec.unschedulable", "false")]),
  Pod: fields(
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    ["spec.hostNetwork", fieldAt("spec.hostNetwork", "false")],
    "status.phase",
    ["status.podIP", podIP],
    "status.nominatedNodeName",
  ),
  Service: fields("spec.clusterIP", "spec.type"),
  Endpoints: fields(),
  ConfigMap: fields(),
  Secret: fields("type"),
  Event: fields(
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    ["source", eventSource],
    "type",
  ),
  ServiceAccount: fields(),
  ResourceQuota: fields(),
  LimitRange: fields(),
  Deployment: fields(replicas),
  ReplicaSet: fields(replicas),
  DaemonSet: fields(),
  StatefulSet: fields(replicas),
  // The label says "successful" but Kubernetes reads status.succeeded.
  Job: fields(["status.successful", fieldAt("status.succeeded", "0")]),
  CronJob: fields(),
  Role: fields(),
  ClusterRole: fields(),
  RoleBinding: fields(),
  ClusterRoleBinding: fields(),
};

/** The field labels `kind` supports, sorted. */
export function supportedFieldLabels(kind: KindName): string[] {
  return Object.keys(FIELD_LABELS[kind]).sort();
}
