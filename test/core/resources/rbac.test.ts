// The RBAC kinds through the Registry (the one write path) on the in-memory
// store: defaults, validation in Kubernetes' words, the immutable roleRef.

import { beforeEach, describe, expect, test } from "bun:test";
import { TugError } from "../../../core/errors.ts";
import { Registry } from "../../../core/registry/registry.ts";
import { MemoryStore } from "../../../core/store/memory-store.ts";
import { validateObject } from "../../../core/resources/validate.ts";

let registry: Registry;
beforeEach(async () => {
  registry = new Registry(new MemoryStore());
  await registry.create("Namespace", "", { metadata: { name: "dev" } });
});

async function causesOf(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TugError && e.code === "Invalid") return (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
    throw e;
  }
  throw new Error("expected Invalid");
}

describe("defaults", () => {
  test("roleRef and User/Group subjects get the RBAC group; ServiceAccounts keep none", async () => {
    const rb = await registry.create("RoleBinding", "dev", {
      metadata: { name: "b" },
      roleRef: { kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "User", name: "bob" }, { kind: "Group", name: "devs", apiGroup: "" }, { kind: "ServiceAccount", name: "ci" }],
    });
    expect(rb.apiVersion).toBe("rbac.authorization.k8s.io/v1");
    expect(rb.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" });
    expect(rb.subjects).toEqual([
      { kind: "User", name: "bob", apiGroup: "rbac.authorization.k8s.io" },
      { kind: "Group", name: "devs", apiGroup: "rbac.authorization.k8s.io" },
      { kind: "ServiceAccount", name: "ci" },
    ]);
  });

  test("ClusterRole is cluster-scoped, keeps unknown fields such as aggregationRule, and names may hold colons", async () => {
    const cr = await registry.create("ClusterRole", "", {
      metadata: { name: "system:thing" },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: "b" } }] },
    });
    expect(cr.metadata.namespace).toBeUndefined();
    expect(cr.rules).toEqual([]);
    expect(cr.aggregationRule).toEqual({ clusterRoleSelectors: [{ matchLabels: { a: "b" } }] });
  });
});

describe("validation", () => {
  test.each<[string, Record<string, unknown>, string[]]>([
    ["rule without verbs", { rules: [{ apiGroups: [""], resources: ["pods"] }] }, ["rules[0].verbs: Required value: verbs must contain at least one value"]],
    [
      "rule without groups or resources",
      { rules: [{ verbs: ["get"] }] },
      ["rules[0].apiGroups: Required value: resource rules must supply at least one api group", "rules[0].resources: Required value: resource rules must supply at least one resource"],
    ],
    [
      "non-resource URLs mixed with resources",
      { rules: [{ verbs: ["get"], nonResourceURLs: ["/x"], resources: ["pods"] }] },
      ['rules[0].nonResourceURLs: Invalid value: ["/x"]: rules cannot apply to both regular resources and non-resource URLs'],
    ],
    ["a name with a slash", { metadata: { name: "a/b" }, rules: [] }, ["metadata.name: Invalid value: \"a/b\": may not contain '/'"]],
  ])("ClusterRole: %s", (_, body, want) => {
    const r = validateObject("ClusterRole", { metadata: { name: "r" }, ...body });
    expect(r.ok ? [] : r.causes.map((c) => `${c.field}: ${c.message}`)).toEqual(want);
  });

  test("a Role may not name non-resource URLs", () => {
    const r = validateObject("Role", { metadata: { name: "r", namespace: "dev" }, rules: [{ verbs: ["get"], nonResourceURLs: ["/healthz"] }] });
    expect(r.ok ? [] : r.causes.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'rules[0].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs',
    ]);
  });

  test("bindings: roleRef kind and group, subject kinds and namespaces", async () => {
    expect(
      await causesOf(
        registry.create("ClusterRoleBinding", "", {
          metadata: { name: "b" },
          roleRef: { apiGroup: "example.com", kind: "Role", name: "" },
          subjects: [{ kind: "ServiceAccount", name: "ci" }, { kind: "Robot", name: "r" }, { kind: "User", name: "u", apiGroup: "x" }, { kind: "ServiceAccount", name: "Bad_Name", namespace: "d" }],
        }),
      ),
    ).toEqual([
      'roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"',
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      "roleRef.name: Required value",
      "subjects[0].namespace: Required value",
      'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
      'subjects[2].apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"',
      expect.stringContaining('subjects[3].name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'),
    ] as unknown as string[]);
    // A RoleBinding may point at a Role, and a ServiceAccount without namespace means the binding's.
    const ok = await registry.create("RoleBinding", "dev", { metadata: { name: "b" }, roleRef: { kind: "Role", name: "r" }, subjects: [{ kind: "ServiceAccount", name: "ci" }] });
    expect(ok.metadata.namespace).toBe("dev");
  });

  test("roleRef cannot change; subjects can", async () => {
    await registry.create("RoleBinding", "dev", { metadata: { name: "b" }, roleRef: { kind: "ClusterRole", name: "view" }, subjects: [{ kind: "User", name: "bob" }] });
    expect(await causesOf(registry.patch("RoleBinding", "dev", "b", "application/merge-patch+json", { roleRef: { name: "edit" } }))).toEqual([
      'roleRef: Invalid value: map[string]string{"apiGroup":"rbac.authorization.k8s.io", "kind":"ClusterRole", "name":"edit"}: cannot change roleRef',
    ]);
    const { object } = await registry.patch("RoleBinding", "dev", "b", "application/merge-patch+json", { subjects: [{ kind: "User", name: "alice" }] });
    expect(object.subjects).toEqual([{ kind: "User", name: "alice", apiGroup: "rbac.authorization.k8s.io" }]);
    await registry.create("ClusterRoleBinding", "", { metadata: { name: "c" }, roleRef: { kind: "ClusterRole", name: "view" } });
    const current = await registry.get("ClusterRoleBinding", "", "c");
    expect(await causesOf(registry.replace("ClusterRoleBinding", "", "c", { ...current, roleRef: { kind: "ClusterRole", name: "admin" } }))).toHaveLength(1);
  });

  test("strategic merge patch replaces rules whole (no merge key)", async () => {
    await registry.create("Role", "dev", { metadata: { name: "r" }, rules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }] });
    const { object } = await registry.patch("Role", "dev", "r", "application/strategic-merge-patch+json", { rules: [{ verbs: ["list"], apiGroups: [""], resources: ["secrets"] }] });
    expect(object.rules).toEqual([{ verbs: ["list"], apiGroups: [""], resources: ["secrets"] }]);
  });
});
