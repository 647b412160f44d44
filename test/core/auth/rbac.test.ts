import { describe, expect, test } from "bun:test";
import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from "../../../core/auth/bootstrap-policy.ts";
import { forbiddenMessage, rbacAuthorize, type RbacLookup } from "../../../core/auth/rbac.ts";
import { requestAttributes } from "../../../core/auth/request-attributes.ts";
import { nodeUser, serviceAccountUser, type UserInfo } from "../../../core/auth/user.ts";
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding, type PolicyRule, type Subject } from "../../../core/resources/rbac.ts";

const G = "rbac.authorization.k8s.io";
const user = (name: string, ...groups: string[]): UserInfo => ({ name, groups: [...groups, "system:authenticated"] });
const bob = user("bob");
const alice = user("alice", "devs");

const clusterRole = (name: string, ...rules: PolicyRule[]) => ClusterRole.parse({ metadata: { name }, rules });
const role = (ns: string, name: string, ...rules: PolicyRule[]) => Role.parse({ metadata: { name, namespace: ns }, rules });
const crb = (name: string, roleName: string, ...subjects: Partial<Subject>[]) =>
  ClusterRoleBinding.parse({ metadata: { name }, roleRef: { kind: "ClusterRole", name: roleName }, subjects });
const rb = (ns: string, name: string, kind: "Role" | "ClusterRole", roleName: string, ...subjects: Partial<Subject>[]) =>
  RoleBinding.parse({ metadata: { name, namespace: ns }, roleRef: { apiGroup: G, kind, name: roleName }, subjects });

function lookupOf(objs: { roles?: Role[]; clusterRoles?: ClusterRole[]; roleBindings?: RoleBinding[]; clusterRoleBindings?: ClusterRoleBinding[] }): RbacLookup {
  return {
    roles: (ns) => (objs.roles ?? []).filter((r) => r.metadata.namespace === ns),
    clusterRoles: () => objs.clusterRoles ?? [],
    roleBindings: (ns) => (objs.roleBindings ?? []).filter((r) => r.metadata.namespace === ns),
    clusterRoleBindings: () => objs.clusterRoleBindings ?? [],
  };
}

const podReader = clusterRole("pod-reader", { verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods"] });
const lookup = lookupOf({
  clusterRoles: [
    podReader,
    clusterRole("node-viewer", { verbs: ["get", "list"], apiGroups: [""], resources: ["nodes"] }),
    clusterRole("scaler", { verbs: ["get", "update", "patch"], apiGroups: ["apps"], resources: ["*/scale"] }),
    clusterRole("logs", { verbs: ["get"], apiGroups: [""], resources: ["pods/log"] }),
    clusterRole("one-secret", { verbs: ["get", "list", "watch", "update", "create"], apiGroups: [""], resources: ["secrets"], resourceNames: ["s1"] }),
    clusterRole("metrics", { verbs: ["get"], nonResourceURLs: ["/metrics", "/logs/*"] }),
    clusterRole("anything-apps", { verbs: ["*"], apiGroups: ["apps"], resources: ["*"] }),
    clusterRole("all-groups-configmaps", { verbs: ["list"], apiGroups: ["*"], resources: ["configmaps"] }),
  ],
  roles: [role("dev", "deployer", { verbs: ["create", "delete"], apiGroups: ["apps"], resources: ["deployments"] })],
  clusterRoleBindings: [
    crb("nodes-to-bob", "node-viewer", { kind: "User", name: "bob" }),
    crb("metrics-to-devs", "metrics", { kind: "Group", name: "devs" }),
    crb("scaler-to-sa", "scaler", { kind: "ServiceAccount", name: "autoscaler", namespace: "kube-system" }),
    crb("dangling", "no-such-role", { kind: "User", name: "carol" }),
  ],
  roleBindings: [
    rb("dev", "read-pods", "ClusterRole", "pod-reader", { kind: "User", name: "bob" }),
    rb("dev", "deploy", "Role", "deployer", { kind: "Group", name: "devs" }),
    rb("dev", "logs", "ClusterRole", "logs", { kind: "User", name: "bob" }),
    rb("dev", "secret", "ClusterRole", "one-secret", { kind: "User", name: "bob" }),
    rb("dev", "apps", "ClusterRole", "anything-apps", { kind: "ServiceAccount", name: "ci" }),
    rb("dev", "cms", "ClusterRole", "all-groups-configmaps", { kind: "User", name: "bob" }),
    // A Role of another namespace is not visible from here.
    rb("prod", "deploy", "Role", "deployer", { kind: "Group", name: "devs" }),
  ],
});

const can = (u: UserInfo, method: string, path: string, query = "") => rbacAuthorize(u, requestAttributes(method, path, new URLSearchParams(query)), lookup).allowed;

describe("rbacAuthorize", () => {
  test.each<[string, UserInfo, string, string, string, boolean]>([
    // A RoleBinding to a ClusterRole grants it in the binding's namespace only.
    ["rolebinding of a clusterrole", bob, "GET", "/api/v1/namespaces/dev/pods", "", true],
    ["...not in another namespace", bob, "GET", "/api/v1/namespaces/prod/pods", "", false],
    ["...not across all namespaces", bob, "GET", "/api/v1/pods", "", false],
    ["...only the verbs it names", bob, "DELETE", "/api/v1/namespaces/dev/pods/p1", "", false],
    ["...watch", bob, "GET", "/api/v1/namespaces/dev/pods", "watch=1", true],
    ["...not the pods/status subresource", bob, "GET", "/api/v1/namespaces/dev/pods/p1/status", "", false],
    // A ClusterRoleBinding grants everywhere, cluster-scoped resources included.
    ["clusterrolebinding, cluster scope", bob, "GET", "/api/v1/nodes/n1", "", true],
    ["...list", bob, "GET", "/api/v1/nodes", "", true],
    ["...not a verb it lacks", bob, "PATCH", "/api/v1/nodes/n1", "", false],
    ["...not to another user", alice, "GET", "/api/v1/nodes", "", false],
    // A Role through a group.
    ["role via group", alice, "POST", "/apis/apps/v1/namespaces/dev/deployments", "", true],
    ["...in the wrong API group", alice, "POST", "/api/v1/namespaces/dev/deployments", "", false],
    ["...Role from another namespace does not resolve", alice, "POST", "/apis/apps/v1/namespaces/prod/deployments", "", false],
    // Subresources.
    ["resource/subresource", bob, "GET", "/api/v1/namespaces/dev/pods/p1/log", "", true],
    ["pods/log does not give pods", bob, "GET", "/api/v1/namespaces/prod/pods/p1/log", "", false],
    ["*/scale any resource's scale", serviceAccountUser("kube-system", "autoscaler"), "PATCH", "/apis/apps/v1/namespaces/x/deployments/web/scale", "", true],
    ["*/scale on statefulsets", serviceAccountUser("kube-system", "autoscaler"), "PUT", "/apis/apps/v1/namespaces/x/statefulsets/db/scale", "", true],
    ["*/scale is not the resource", serviceAccountUser("kube-system", "autoscaler"), "GET", "/apis/apps/v1/namespaces/x/deployments/web", "", false],
    ["*/scale is not */status", serviceAccountUser("kube-system", "autoscaler"), "PATCH", "/apis/apps/v1/namespaces/x/deployments/web/status", "", false],
    // Wildcards.
    ["* resources and verbs", serviceAccountUser("dev", "ci"), "DELETE", "/apis/apps/v1/namespaces/dev/statefulsets", "", true],
    ["* resources covers subresources", serviceAccountUser("dev", "ci"), "PUT", "/apis/apps/v1/namespaces/dev/deployments/web/status", "", true],
    ["...but not other groups", serviceAccountUser("dev", "ci"), "GET", "/api/v1/namespaces/dev/pods", "", false],
    ["...nor the same SA name in another namespace", serviceAccountUser("prod", "ci"), "GET", "/apis/apps/v1/namespaces/dev/deployments", "", false],
    ["* apiGroups", bob, "GET", "/api/v1/namespaces/dev/configmaps", "", true],
    // resourceNames.
    ["resourceNames get", bob, "GET", "/api/v1/namespaces/dev/secrets/s1", "", true],
    ["resourceNames update", bob, "PUT", "/api/v1/namespaces/dev/secrets/s1", "", true],
    ["resourceNames other name", bob, "GET", "/api/v1/namespaces/dev/secrets/s2", "", false],
    ["resourceNames no list", bob, "GET", "/api/v1/namespaces/dev/secrets", "", false],
    ["resourceNames no watch", bob, "GET", "/api/v1/namespaces/dev/secrets", "watch=1", false],
    ["resourceNames no create", bob, "POST", "/api/v1/namespaces/dev/secrets", "", false],
    ["resourceNames list by metadata.name", bob, "GET", "/api/v1/namespaces/dev/secrets", "fieldSelector=metadata.name%3Ds1", true],
    ["resourceNames watch by metadata.name", bob, "GET", "/api/v1/namespaces/dev/secrets", "fieldSelector=metadata.name%3Ds1&watch=true", true],
    // nonResourceURLs.
    ["nonResourceURL exact", alice, "GET", "/metrics", "", true],
    ["nonResourceURL prefix*", alice, "GET", "/logs/kubelet/x", "", true],
    ["nonResourceURL prefix* matches the bare prefix", alice, "GET", "/logs/", "", true],
    ["nonResourceURL other path", alice, "GET", "/metricsz", "", false],
    ["nonResourceURL verb", alice, "POST", "/metrics", "", false],
    ["nonResourceURL rule does not give resources", alice, "GET", "/api/v1/namespaces/dev/pods", "", false],
    // masters.
    ["system:masters", user("root", "system:masters"), "DELETE", "/api/v1/namespaces/kube-system", "", true],
    ["system:masters non-resource", user("root", "system:masters"), "POST", "/anything", "", true],
    ["nobody", user("eve"), "GET", "/api/v1/namespaces/dev/pods", "", false],
  ])("%s", (_, u, method, path, query, allowed) => {
    expect(can(u, method, path, query)).toBe(allowed);
  });

  test("the reason names the binding that allowed it", () => {
    const r = rbacAuthorize(bob, requestAttributes("GET", "/api/v1/namespaces/dev/pods"), lookup);
    expect(r).toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "read-pods/dev" of ClusterRole "pod-reader" to User "bob"' });
    const sa = rbacAuthorize(serviceAccountUser("dev", "ci"), requestAttributes("GET", "/apis/apps/v1/namespaces/dev/deployments"), lookup);
    expect(sa.reason).toBe('RBAC: allowed by RoleBinding "apps/dev" of ClusterRole "anything-apps" to ServiceAccount "ci/dev"');
    const c = rbacAuthorize(bob, requestAttributes("GET", "/api/v1/nodes"), lookup);
    expect(c.reason).toBe('RBAC: allowed by ClusterRoleBinding "nodes-to-bob" of ClusterRole "node-viewer" to User "bob"');
  });

  test("a binding to a missing role is reported in the refusal", () => {
    const r = rbacAuthorize(user("carol"), requestAttributes("GET", "/api/v1/pods"), lookup);
    expect(r).toEqual({ allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "no-such-role" not found' });
    expect(rbacAuthorize(user("eve"), requestAttributes("GET", "/api/v1/pods"), lookup)).toEqual({ allowed: false, reason: "" });
  });

  test("a ServiceAccount subject of a ClusterRoleBinding needs its namespace", () => {
    const l = lookupOf({ clusterRoles: [podReader], clusterRoleBindings: [crb("x", "pod-reader", { kind: "ServiceAccount", name: "default" })] });
    expect(rbacAuthorize(serviceAccountUser("default", "default"), requestAttributes("GET", "/api/v1/pods"), l).allowed).toBe(false);
  });

  test("nodes get nothing from RBAC by default", () => {
    const l = lookupOf({ clusterRoles: [...BOOTSTRAP_CLUSTER_ROLES], clusterRoleBindings: [...BOOTSTRAP_CLUSTER_ROLE_BINDINGS] });
    const n = nodeUser("n1");
    expect(rbacAuthorize(n, requestAttributes("GET", "/api/v1/namespaces/default/secrets/s"), l).allowed).toBe(false);
    expect(rbacAuthorize(n, requestAttributes("GET", "/apis/apps/v1"), l).allowed).toBe(true);
  });
});

describe("the bootstrap policy", () => {
  const l = lookupOf({ clusterRoles: [...BOOTSTRAP_CLUSTER_ROLES], clusterRoleBindings: [...BOOTSTRAP_CLUSTER_ROLE_BINDINGS] });
  const withBinding = (roleName: string) =>
    lookupOf({
      clusterRoles: [...BOOTSTRAP_CLUSTER_ROLES],
      clusterRoleBindings: [...BOOTSTRAP_CLUSTER_ROLE_BINDINGS],
      roleBindings: [rb("team", "b", "ClusterRole", roleName, { kind: "User", name: "bob" })],
    });
  const may = (lk: RbacLookup, u: UserInfo, method: string, path: string) => rbacAuthorize(u, requestAttributes(method, path), lk).allowed;

  test("every signed-in user may discover", () => {
    for (const p of ["/api", "/api/v1", "/apis", "/apis/apps/v1", "/version", "/openapi/v2", "/healthz"]) expect([p, may(l, bob, "GET", p)]).toEqual([p, true]);
    expect(may(l, bob, "GET", "/api/v1/namespaces")).toBe(false);
    expect(may(l, { name: "system:anonymous", groups: ["system:unauthenticated"] }, "GET", "/version")).toBe(true);
    expect(may(l, { name: "system:anonymous", groups: ["system:unauthenticated"] }, "GET", "/api")).toBe(false);
  });

  test("cluster-admin is bound to system:masters and covers everything", () => {
    const ca = BOOTSTRAP_CLUSTER_ROLES.find((r) => r.metadata.name === "cluster-admin");
    expect(ca?.rules).toEqual([
      { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
      { verbs: ["*"], nonResourceURLs: ["*"] },
    ]);
    const lk = lookupOf({ clusterRoles: [...BOOTSTRAP_CLUSTER_ROLES], clusterRoleBindings: [crb("x", "cluster-admin", { kind: "User", name: "bob" })] });
    expect(may(lk, bob, "DELETE", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/x")).toBe(true);
    expect(may(lk, bob, "GET", "/metrics")).toBe(true);
  });

  test.each<[string, string, boolean, boolean, boolean]>([
    // verb, path, view, edit, admin
    ["GET", "/api/v1/namespaces/team/pods", true, true, true],
    ["GET", "/api/v1/namespaces/team/pods/p/log", true, true, true],
    ["GET", "/api/v1/namespaces/team/secrets/s", false, true, true],
    ["POST", "/apis/apps/v1/namespaces/team/deployments", false, true, true],
    ["PATCH", "/apis/apps/v1/namespaces/team/deployments/web/scale", false, true, true],
    ["DELETE", "/apis/batch/v1/namespaces/team/jobs/j", false, true, true],
    ["POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings", false, false, true],
    ["PUT", "/api/v1/namespaces/team/resourcequotas/q", false, false, false],
    ["GET", "/api/v1/namespaces/other/pods", false, false, false],
    ["GET", "/api/v1/nodes", false, false, false],
  ])("%s %s: view %p, edit %p, admin %p", (method, path, view, edit, admin) => {
    expect([may(withBinding("view"), bob, method, path), may(withBinding("edit"), bob, method, path), may(withBinding("admin"), bob, method, path)]).toEqual([
      view,
      edit,
      admin,
    ]);
  });

  test("the defaults pass their own schemas' validation", async () => {
    const { validateObject } = await import("../../../core/resources/validate.ts");
    for (const r of BOOTSTRAP_CLUSTER_ROLES) expect([r.metadata.name, validateObject("ClusterRole", r).ok]).toEqual([r.metadata.name, true]);
    for (const b of BOOTSTRAP_CLUSTER_ROLE_BINDINGS) expect([b.metadata.name, validateObject("ClusterRoleBinding", b).ok]).toEqual([b.metadata.name, true]);
  });
});

describe("forbiddenMessage", () => {
  test.each([
    ["GET", "/api/v1/namespaces/kube-system/pods", "", 'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "kube-system"'],
    ["GET", "/api/v1/nodes", "", 'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope'],
    ["GET", "/api/v1/pods", "watch=1", 'pods is forbidden: User "bob" cannot watch resource "pods" in API group "" at the cluster scope'],
    ["GET", "/api/v1/namespaces/d/pods/p1/log", "", 'pods "p1" is forbidden: User "bob" cannot get resource "pods/log" in API group "" in the namespace "d"'],
    [
      "PATCH",
      "/apis/apps/v1/namespaces/d/deployments/web/scale",
      "",
      'deployments.apps "web" is forbidden: User "bob" cannot patch resource "deployments/scale" in API group "apps" in the namespace "d"',
    ],
    ["POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "", 'clusterroles.rbac.authorization.k8s.io is forbidden: User "bob" cannot create resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope'],
    ["GET", "/metrics", "", 'forbidden: User "bob" cannot get path "/metrics"'],
  ])("%s %s?%s", (method, path, query, want) => {
    expect(forbiddenMessage(bob, requestAttributes(method, path, new URLSearchParams(query)))).toBe(want);
  });

  test("the reason follows a colon", () => {
    expect(forbiddenMessage(bob, requestAttributes("GET", "/api/v1/nodes"), "RBAC: x")).toBe(
      'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope: RBAC: x',
    );
  });
});
