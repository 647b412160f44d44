// The table of every kind tug serves. It drives the API routes, discovery,
// the CLI's short names and (later) the dashboard. Per-kind tables elsewhere
// are `Record<KindName, ...>` so a new kind fails to compile until every
// table knows it.

export interface KindInfo {
  /** API group; "" is the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Has a `/status` subresource: the main resource ignores status writes and vice versa. */
  readonly hasStatus: boolean;
  /** Has a `/scale` subresource (autoscaling/v1 Scale). */
  readonly hasScale: boolean;
}

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] as const;
export const RESOURCE_VERBS: readonly string[] = VERBS;

export const KINDS = {
  Namespace: { group: "", version: "v1", plural: "namespaces", singular: "namespace", namespaced: false, shortNames: ["ns"], categories: [], hasStatus: true, hasScale: false },
  Node: { group: "", version: "v1", plural: "nodes", singular: "node", namespaced: false, shortNames: ["no"], categories: [], hasStatus: true, hasScale: false },
  Pod: { group: "", version: "v1", plural: "pods", singular: "pod", namespaced: true, shortNames: ["po"], categories: ["all"], hasStatus: true, hasScale: false },
  Service: { group: "", version: "v1", plural: "services", singular: "service", namespaced: true, shortNames: ["svc"], categories: ["all"], hasStatus: true, hasScale: false },
  Endpoints: { group: "", version: "v1", plural: "endpoints", singular: "endpoints", namespaced: true, shortNames: ["ep"], categories: [], hasStatus: false, hasScale: false },
  ConfigMap: { group: "", version: "v1", plural: "configmaps", singular: "configmap", namespaced: true, shortNames: ["cm"], categories: [], hasStatus: false, hasScale: false },
  Secret: { group: "", version: "v1", plural: "secrets", singular: "secret", namespaced: true, shortNames: [], categories: [], hasStatus: false, hasScale: false },
  Event: { group: "", version: "v1", plural: "events", singular: "event", namespaced: true, shortNames: ["ev"], categories: [], hasStatus: false, hasScale: false },
  ServiceAccount: { group: "", version: "v1", plural: "serviceaccounts", singular: "serviceaccount", namespaced: true, shortNames: ["sa"], categories: [], hasStatus: false, hasScale: false },
  ResourceQuota: { group: "", version: "v1", plural: "resourcequotas", singular: "resourcequota", namespaced: true, shortNames: ["quota"], categories: [], hasStatus: true, hasScale: false },
  LimitRange: { group: "", version: "v1", plural: "limitranges", singular: "limitrange", namespaced: true, shortNames: ["limits"], categories: [], hasStatus: false, hasScale: false },
  Deployment: { group: "apps", version: "v1", plural: "deployments", singular: "deployment", namespaced: true, shortNames: ["deploy"], categories: ["all"], hasStatus: true, hasScale: true },
  ReplicaSet: { group: "apps", version: "v1", plural: "replicasets", singular: "replicaset", namespaced: true, shortNames: ["rs"], categories: ["all"], hasStatus: true, hasScale: true },
  DaemonSet: { group: "apps", version: "v1", plural: "daemonsets", singular: "daemonset", namespaced: true, shortNames: ["ds"], categories: ["all"], hasStatus: true, hasScale: false },
  StatefulSet: { group: "apps", version: "v1", plural: "statefulsets", singular: "statefulset", namespaced: true, shortNames: ["sts"], categories: ["all"], hasStatus: true, hasScale: true },
  Job: { group: "batch", version: "v1", plural: "jobs", singular: "job", namespaced: true, shortNames: [], categories: ["all"], hasStatus: true, hasScale: false },
  CronJob: { group: "batch", version: "v1", plural: "cronjobs", singular: "cronjob", namespaced: true, shortNames: ["cj"], categories: ["all"], hasStatus: true, hasScale: false },
  Role: { group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", singular: "role", namespaced: true, shortNames: [], categories: [], hasStatus: false, hasScale: false },
  ClusterRole: { group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles", singular: "clusterrole", namespaced: false, shortNames: [], categories: [], hasStatus: false, hasScale: false },
  RoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings", singular: "rolebinding", namespaced: true, shortNames: [], categories: [], hasStatus: false, hasScale: false },
  ClusterRoleBinding: { group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterrolebindings", singular: "clusterrolebinding", namespaced: false, shortNames: [], categories: [], hasStatus: false, hasScale: false },
} as const satisfies Record<string, KindInfo>;

export type KindName = keyof typeof KINDS;

export const KIND_NAMES = Object.keys(KINDS) as KindName[];

export function isKindName(s: string): s is KindName {
  return Object.hasOwn(KINDS, s);
}

export function kindInfo(kind: KindName): KindInfo {
  return KINDS[kind];
}

/** `apps/v1`, or `v1` for the core group. */
export function apiVersionOf(kind: KindName): string {
  const k = KINDS[kind];
  return k.group ? `${k.group}/${k.version}` : k.version;
}

/** The kind served at `group/version` under `plural`, if any. */
export function kindByPlural(group: string, version: string, plural: string): KindName | undefined {
  for (const name of KIND_NAMES) {
    const k = KINDS[name];
    if (k.group === group && k.version === version && k.plural === plural) return name;
  }
  return undefined;
}

/** Every group/version tug serves, core first. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const name of KIND_NAMES) {
    const { group, version } = KINDS[name];
    seen.set(`${group}/${version}`, { group, version });
  }
  return [...seen.values()];
}

/** `deployments.apps "web"`, how Kubernetes names an object in messages. */
export function displayName(kind: string, name: string): string {
  if (!isKindName(kind)) return `${kind} "${name}"`;
  const k = KINDS[kind];
  return `${k.group ? `${k.plural}.${k.group}` : k.plural} "${name}"`;
}
