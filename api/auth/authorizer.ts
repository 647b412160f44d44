// Authorization of one API request: the node authorizer first (node
// credentials and what their pods need), then RBAC. Roles, bindings and pods
// are read from the informer's cache, never from the store, so a request
// costs no disk read. A refusal is a TugError("Forbidden") in Kubernetes' words.

import { nodeAuthorize, type NodePodLookup } from "../../core/auth/node-authorizer.ts";
import { forbiddenMessage, rbacAuthorize, type RbacLookup } from "../../core/auth/rbac.ts";
import type { RequestAttributes } from "../../core/auth/request-attributes.ts";
import type { UserInfo } from "../../core/auth/user.ts";
import { TugError } from "../../core/errors.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "../../core/resources/rbac.ts";
import type { ObjectCache } from "../../core/registry/registry.ts";

export interface AuthorizerDeps {
  /** The informer (it follows every kind, RBAC kinds and Pods included). */
  cache: ObjectCache;
  /**
   * Pods bound to a node; pass the informer's PODS_BY_NODE index. Without it
   * every pod is scanned, which is fine for tests and small clusters.
   */
  podsOnNode?: (node: string) => readonly KubeObject[];
}

/** The RBAC lookup over a cache (objects there were admitted, so they have the RBAC shape). */
export function cacheRbacLookup(cache: ObjectCache): RbacLookup {
  return {
    roles: (ns) => cache.list("Role", ns) as unknown as Role[],
    clusterRoles: () => cache.list("ClusterRole") as unknown as ClusterRole[],
    roleBindings: (ns) => cache.list("RoleBinding", ns) as unknown as RoleBinding[],
    clusterRoleBindings: () => cache.list("ClusterRoleBinding") as unknown as ClusterRoleBinding[],
  };
}

export function cachePodLookup(deps: AuthorizerDeps): NodePodLookup {
  const { cache } = deps;
  return {
    pod: (ns, name) => cache.get("Pod", ns, name),
    podsOnNode: deps.podsOnNode ?? ((node) => cache.list("Pod").filter((p) => (p.spec as { nodeName?: string } | undefined)?.nodeName === node)),
  };
}

const READS = new Set(["get", "list", "watch"]);

/** Returns when `user` may do `attrs`; throws Forbidden (403) otherwise. */
export function authorizeRequest(user: UserInfo, attrs: RequestAttributes, deps: AuthorizerDeps): void {
  const node = nodeAuthorize(user, attrs, cachePodLookup(deps));
  if (node.decision === "allow") return;
  const rbac = rbacAuthorize(user, attrs, cacheRbacLookup(deps.cache));
  if (rbac.allowed) return;
  // Usage of nodes and pods (metrics.k8s.io) is readable by whoever may read the nodes or pods themselves.
  if (attrs.resourceRequest && attrs.apiGroup === "metrics.k8s.io" && READS.has(attrs.verb) && (attrs.resource === "nodes" || attrs.resource === "pods")) {
    if (rbacAuthorize(user, { ...attrs, apiGroup: "", apiVersion: "v1" }, cacheRbacLookup(deps.cache)).allowed) return;
  }
  const reason = [node.reason, rbac.reason].filter((r) => r !== "").join("; ");
  throw new TugError("Forbidden", forbiddenMessage(user, attrs, reason), {
    name: attrs.name,
    group: attrs.apiGroup,
    kind: attrs.resource,
  });
}
