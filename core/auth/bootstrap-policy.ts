// The default RBAC policy every cluster starts with (Kubernetes'
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy, cut to what tug serves):
// cluster-admin for system:masters, discovery for every signed-in user, and
// the admin/edit/view roles a user binds to people in a namespace. Pure data;
// api/auth/bootstrap-policy.ts creates what is missing at start.

import { RBAC_GROUP, type ClusterRole, type ClusterRoleBinding, type PolicyRule } from "../resources/rbac.ts";
import { SYSTEM_AUTHENTICATED, SYSTEM_MASTERS, SYSTEM_UNAUTHENTICATED } from "./user.ts";

const READ = ["get", "list", "watch"];
const WRITE = ["create", "delete", "deletecollection", "patch", "update"];

function rule(verbs: string[], apiGroups: string[], resources: string[]): PolicyRule {
  return { verbs, apiGroups, resources };
}

function urls(verbs: string[], nonResourceURLs: string[]): PolicyRule {
  return { verbs, nonResourceURLs };
}

// What `kubectl get`/`describe` read in a namespace, secrets excepted: seeing a Secret is as good as holding it.
const VIEW_RULES: PolicyRule[] = [
  rule(READ, [""], [
    "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "replicationcontrollers",
    "replicationcontrollers/scale", "serviceaccounts", "services", "services/status",
    "bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status", "replicationcontrollers/status",
    "resourcequotas", "resourcequotas/status",
  ]),
  rule(READ, [""], ["namespaces"]),
  rule(READ, ["apps"], [
    "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
    "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status",
  ]),
  rule(READ, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
];

// edit adds writes of the workloads and their config, and reading secrets; not roles nor quotas.
const EDIT_RULES: PolicyRule[] = [
  rule(READ, [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
  rule(["impersonate"], [""], ["serviceaccounts"]),
  rule(WRITE, [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
  rule(["create"], [""], ["pods/eviction"]),
  rule(WRITE, [""], [
    "configmaps", "endpoints", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale",
    "secrets", "serviceaccounts", "services", "services/proxy",
  ]),
  rule(["create"], [""], ["serviceaccounts/token"]),
  rule(WRITE, ["apps"], [
    "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale",
    "statefulsets", "statefulsets/scale",
  ]),
  rule(WRITE, ["batch"], ["cronjobs", "jobs"]),
  ...VIEW_RULES,
];

// admin adds granting access inside the namespace (Roles and RoleBindings).
const ADMIN_RULES: PolicyRule[] = [rule([...READ, ...WRITE], [RBAC_GROUP], ["rolebindings", "roles"]), ...EDIT_RULES];

/** Labels and annotations Kubernetes puts on its defaults, so tools recognise them. */
const DEFAULT_META = { labels: { "kubernetes.io/bootstrapping": "rbac-defaults" }, annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" } };

function clusterRole(name: string, rules: PolicyRule[], extraLabels: Record<string, string> = {}): ClusterRole {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRole",
    metadata: { name, labels: { ...DEFAULT_META.labels, ...extraLabels }, annotations: { ...DEFAULT_META.annotations } },
    rules,
  };
}

function groupBinding(name: string, role: string, groups: string[]): ClusterRoleBinding {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRoleBinding",
    metadata: { name, labels: { ...DEFAULT_META.labels }, annotations: { ...DEFAULT_META.annotations } },
    roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: role },
    subjects: groups.map((g) => ({ kind: "Group", apiGroup: RBAC_GROUP, name: g })),
  };
}

/** Paths every client reads before it does anything (discovery, OpenAPI, health). */
export const DISCOVERY_URLS = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"];

export const BOOTSTRAP_CLUSTER_ROLES: readonly ClusterRole[] = [
  clusterRole("cluster-admin", [rule(["*"], ["*"], ["*"]), urls(["*"], ["*"])], {}),
  clusterRole("admin", ADMIN_RULES, { "rbac.authorization.k8s.io/aggregate-to-admin": "true" }),
  clusterRole("edit", EDIT_RULES, { "rbac.authorization.k8s.io/aggregate-to-edit": "true" }),
  clusterRole("view", VIEW_RULES, { "rbac.authorization.k8s.io/aggregate-to-view": "true" }),
  clusterRole("system:discovery", [urls(["get"], DISCOVERY_URLS)]),
  clusterRole("system:public-info-viewer", [urls(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"])]),
  clusterRole("system:basic-user", [rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"])]),
];

export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly ClusterRoleBinding[] = [
  groupBinding("cluster-admin", "cluster-admin", [SYSTEM_MASTERS]),
  groupBinding("system:discovery", "system:discovery", [SYSTEM_AUTHENTICATED]),
  groupBinding("system:basic-user", "system:basic-user", [SYSTEM_AUTHENTICATED]),
  groupBinding("system:public-info-viewer", "system:public-info-viewer", [SYSTEM_AUTHENTICATED, SYSTEM_UNAUTHENTICATED]),
];
