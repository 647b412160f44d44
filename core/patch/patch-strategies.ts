// The strategic-merge-patch metadata of each kind: which list fields merge,
// and by which key. This is what the `patchStrategy:"merge"` and
// `patchMergeKey` struct tags of k8s.io/api say; every list not named here
// is replaced whole (args, command, tolerations, Endpoints subsets, ...).
//
// Paths are dotted field names from the object's root; list items add no
// segment, so a container's env is `spec.containers.env`.

import type { KindName } from "../resources/kinds.ts";

/** The merge key of a list of objects, or "" for a list of scalars merged as a set. */
export type MergeKey = string;

type Entry = readonly [path: string, mergeKey: MergeKey];

const objectMeta = (at: string): Entry[] => [
  [`${at}.ownerReferences`, "uid"],
  [`${at}.finalizers`, ""],
];

const CONTAINER_LISTS: Entry[] = [
  ["env", "name"],
  ["ports", "containerPort"],
  ["volumeMounts", "mountPath"],
  ["volumeDevices", "devicePath"],
];

const podSpec = (at: string): Entry[] => {
  const entries: Entry[] = [
    [`${at}.volumes`, "name"],
    [`${at}.imagePullSecrets`, "name"],
    [`${at}.hostAliases`, "ip"],
    [`${at}.topologySpreadConstraints`, "topologyKey"],
    [`${at}.resourceClaims`, "name"],
    [`${at}.schedulingGates`, "name"],
  ];
  for (const containers of ["containers", "initContainers", "ephemeralContainers"]) {
    entries.push([`${at}.${containers}`, "name"]);
    for (const [field, key] of CONTAINER_LISTS) entries.push([`${at}.${containers}.${field}`, key]);
  }
  return entries;
};

/** A pod template (`<at>.metadata` and `<at>.spec`), as in workloads. */
const podTemplate = (at: string): Entry[] => [...objectMeta(`${at}.metadata`), ...podSpec(`${at}.spec`)];

const CONDITIONS: Entry = ["status.conditions", "type"];

function table(...entries: Entry[]): ReadonlyMap<string, MergeKey> {
  return new Map([...objectMeta("metadata"), ...entries]);
}

const workload = table(...podTemplate("spec.template"), CONDITIONS);

export const LIST_STRATEGIES: Record<KindName, ReadonlyMap<string, MergeKey>> = {
  Namespace: table(CONDITIONS),
  Node: table(["spec.podCIDRs", ""], CONDITIONS, ["status.addresses", "type"]),
  Pod: table(...podSpec("spec"), CONDITIONS, ["status.podIPs", "ip"], ["status.hostIPs", "ip"]),
  Service: table(["spec.ports", "port"], CONDITIONS),
  Endpoints: table(),
  ConfigMap: table(),
  Secret: table(),
  Event: table(),
  ServiceAccount: table(["secrets", "name"]),
  ResourceQuota: table(),
  LimitRange: table(),
  Deployment: workload,
  ReplicaSet: workload,
  DaemonSet: workload,
  StatefulSet: workload,
  Job: workload,
  CronJob: table(...objectMeta("spec.jobTemplate.metadata"), ...podTemplate("spec.jobTemplate.spec.template"), CONDITIONS),
  // rules and subjects carry no patchMergeKey in rbac/v1: a patch replaces them whole.
  Role: table(),
  ClusterRole: table(),
  RoleBinding: table(),
  ClusterRoleBinding: table(),
};

/** How the list at `path` of a `kind` merges; undefined means it is replaced whole. */
export function listMergeKey(kind: KindName, path: string): MergeKey | undefined {
  return LIST_STRATEGIES[kind].get(path);
}
