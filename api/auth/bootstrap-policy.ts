// Creates the default RBAC policy (core/auth/bootstrap-policy.ts) at start:
// whatever is missing is created, whatever exists is left alone, so a user's
// edits to `view` or a deleted-then-recreated binding survive restarts.

import { BOOTSTRAP_CLUSTER_ROLE_BINDINGS, BOOTSTRAP_CLUSTER_ROLES } from "../../core/auth/bootstrap-policy.ts";
import { TugError } from "../../core/errors.ts";
import type { KindName } from "../../core/resources/kinds.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import type { Registry } from "../../core/registry/registry.ts";

async function ensure(registry: Registry, kind: KindName, objects: readonly KubeObject[]): Promise<string[]> {
  const created: string[] = [];
  for (const obj of objects) {
    const name = obj.metadata.name ?? "";
    if (await registry.store.get({ kind, namespace: "", name })) continue;
    try {
      await registry.create(kind, "", structuredClone(obj));
      created.push(`${kind}/${name}`);
    } catch (e) {
      // Another server process created it first: that is the state we want.
      if (!(e instanceof TugError && e.code === "AlreadyExists")) throw e;
    }
  }
  return created;
}

/** Creates the missing default ClusterRoles and ClusterRoleBindings; returns what it created (`ClusterRole/view`). */
export async function ensureBootstrapPolicy(registry: Registry): Promise<string[]> {
  return [
    ...(await ensure(registry, "ClusterRole", BOOTSTRAP_CLUSTER_ROLES as unknown as KubeObject[])),
    ...(await ensure(registry, "ClusterRoleBinding", BOOTSTRAP_CLUSTER_ROLE_BINDINGS as unknown as KubeObject[])),
  ];
}
