// ensureBootstrapPolicy and authorizeRequest on a real Registry over the
// in-memory store, with the informer as the authorizer's cache (as the
// server wires it): RBAC from stored objects, the node rules from stored pods.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { authorizeRequest, type AuthorizerDeps } from "../../../api/auth/authorizer.ts";
import { ensureBootstrapPolicy } from "../../../api/auth/bootstrap-policy.ts";
import { ensureSystemNamespaces } from "../../../api/bootstrap.ts";
import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from "../../../core/auth/bootstrap-policy.ts";
import { requestAttributes } from "../../../core/auth/request-attributes.ts";
import { nodeUser, serviceAccountUser, type UserInfo } from "../../../core/auth/user.ts";
import { TugError } from "../../../core/errors.ts";
import { PODS_BY_NODE, registerStandardIndexes } from "../../../core/informer/indexes.ts";
import { Informer } from "../../../core/informer/informer.ts";
import { Registry } from "../../../core/registry/registry.ts";
import { MemoryStore } from "../../../core/store/memory-store.ts";
import { eventually } from "../../support.ts";

let store: MemoryStore;
let registry: Registry;
let informer: Informer;
let deps: AuthorizerDeps;

beforeEach(async () => {
  store = new MemoryStore();
  informer = new Informer(store);
  registerStandardIndexes(informer);
  await informer.start();
  registry = new Registry(store, { cache: informer });
  await ensureSystemNamespaces(registry);
  deps = { cache: informer, podsOnNode: (n) => informer.byIndex(PODS_BY_NODE, n) };
});
afterEach(() => informer.stop());

const bob: UserInfo = { name: "bob", groups: ["system:authenticated"] };

/** "ok", or the Forbidden message. */
function check(user: UserInfo, method: string, path: string, query = ""): string {
  try {
    authorizeRequest(user, requestAttributes(method, path, new URLSearchParams(query)), deps);
    return "ok";
  } catch (e) {
    if (e instanceof TugError && e.code === "Forbidden") return e.message;
    throw e;
  }
}

describe("ensureBootstrapPolicy", () => {
  test("creates the defaults once and never overwrites a user's edits", async () => {
    const created = await ensureBootstrapPolicy(registry);
    expect(created).toContain("ClusterRole/cluster-admin");
    expect(created).toContain("ClusterRoleBinding/system:discovery");
    expect(created).toHaveLength(BOOTSTRAP_CLUSTER_ROLES.length + BOOTSTRAP_CLUSTER_ROLE_BINDINGS.length);
    const crb = await registry.get("ClusterRoleBinding", "", "cluster-admin");
    expect(crb.subjects).toEqual([{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: "system:masters" }]);

    // The user narrows view and deletes a binding; a restart recreates only the binding.
    await registry.patch("ClusterRole", "", "view", "application/merge-patch+json", { rules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }] });
    await registry.delete("ClusterRoleBinding", "", "system:basic-user");
    expect(await ensureBootstrapPolicy(registry)).toEqual(["ClusterRoleBinding/system:basic-user"]);
    expect((await registry.get("ClusterRole", "", "view")).rules).toEqual([{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }]);
    expect(await ensureBootstrapPolicy(registry)).toEqual([]);
  });
});

describe("authorizeRequest", () => {
  beforeEach(async () => {
    await ensureBootstrapPolicy(registry);
    await registry.create("Namespace", "", { metadata: { name: "team" } });
  });

  test("the admin group may do anything, a plain user only discovery", () => {
    const admin = { name: "admin", groups: ["system:masters", "system:authenticated"] };
    expect(check(admin, "DELETE", "/api/v1/namespaces/kube-system")).toBe("ok");
    expect(check(bob, "GET", "/apis")).toBe("ok");
    expect(check(bob, "GET", "/api/v1/namespaces/kube-system/pods")).toBe(
      'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "kube-system"',
    );
  });

  test("a namespaced Role lets a user list pods there and not elsewhere, as soon as the informer has it", async () => {
    await registry.create("Role", "team", { metadata: { name: "pod-reader" }, rules: [{ verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods"] }] });
    await registry.create("RoleBinding", "team", { metadata: { name: "bob-reads" }, roleRef: { kind: "Role", name: "pod-reader" }, subjects: [{ kind: "User", name: "bob" }] });
    expect(await eventually(() => check(bob, "GET", "/api/v1/namespaces/team/pods"), (r) => r === "ok")).toBe("ok");
    expect(check(bob, "GET", "/api/v1/namespaces/default/pods")).toContain('cannot list resource "pods" in API group "" in the namespace "default"');
    expect(check(bob, "GET", "/api/v1/pods")).toContain("at the cluster scope");

    await registry.delete("RoleBinding", "team", "bob-reads");
    expect(await eventually(() => check(bob, "GET", "/api/v1/namespaces/team/pods"), (r) => r !== "ok")).toContain("forbidden");
  });

  test("a RoleBinding to the default edit ClusterRole, for a service account", async () => {
    await registry.create("RoleBinding", "team", { metadata: { name: "ci" }, roleRef: { kind: "ClusterRole", name: "edit" }, subjects: [{ kind: "ServiceAccount", name: "ci" }] });
    const ci = serviceAccountUser("team", "ci");
    expect(await eventually(() => check(ci, "POST", "/apis/apps/v1/namespaces/team/deployments"), (r) => r === "ok")).toBe("ok");
    expect(check(ci, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings")).toContain("forbidden");
    expect(check(serviceAccountUser("default", "ci"), "POST", "/apis/apps/v1/namespaces/team/deployments")).toContain("forbidden");
  });

  test("a node reads only what its own pods need and writes only its own status", async () => {
    const spec = (node: string, secret: string) => ({ nodeName: node, containers: [{ name: "c", image: "busybox" }], volumes: [{ name: "s", secret: { secretName: secret } }] });
    await registry.create("Pod", "team", { metadata: { name: "p1" }, spec: spec("n1", "s1") });
    await registry.create("Pod", "team", { metadata: { name: "p2" }, spec: spec("n2", "s2") });
    const n1 = nodeUser("n1");
    expect(await eventually(() => check(n1, "GET", "/api/v1/namespaces/team/secrets/s1"), (r) => r === "ok")).toBe("ok");
    expect(check(n1, "GET", "/api/v1/namespaces/team/secrets/s2")).toBe(
      'secrets "s2" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "team": no relationship found between node \'n1\' and this object',
    );
    expect(check(n1, "GET", "/api/v1/secrets")).toContain("forbidden");
    expect(check(n1, "PATCH", "/api/v1/namespaces/team/pods/p1/status")).toBe("ok");
    expect(check(n1, "PATCH", "/api/v1/namespaces/team/pods/p2/status")).toContain("forbidden");
    expect(check(n1, "PATCH", "/api/v1/nodes/n1/status")).toBe("ok");
    expect(check(n1, "PATCH", "/api/v1/nodes/n2/status")).toContain('User "system:node:n1" cannot patch resource "nodes/status"');
    expect(check(n1, "GET", "/api/v1/pods", "fieldSelector=spec.nodeName%3Dn1&watch=1")).toBe("ok");
    // Discovery comes from RBAC (nodes are system:authenticated).
    expect(check(n1, "GET", "/api/v1")).toBe("ok");

    // Once the pod is gone, its secret is no longer the node's business.
    expect((await registry.delete("Pod", "team", "p1", { gracePeriodSeconds: 0 })).removed).toBe(true);
    expect(await eventually(() => check(n1, "GET", "/api/v1/namespaces/team/secrets/s1"), (r) => r !== "ok")).toContain("forbidden");
  });

  test("Forbidden carries the Status details", () => {
    let err: unknown;
    try {
      authorizeRequest(bob, requestAttributes("GET", "/apis/apps/v1/namespaces/team/deployments/web"), deps);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TugError);
    expect((err as TugError).status).toBe(403);
    expect((err as TugError).details).toEqual({ name: "web", group: "apps", kind: "deployments" });
  });
});
