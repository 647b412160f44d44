// The RBAC authorizer (Kubernetes' plugin/pkg/auth/authorizer/rbac): a request
// is allowed when some rule of a role bound to the user covers it. Cluster
// role bindings grant everywhere; role bindings grant in their namespace and
// may point at a ClusterRole to reuse it there. Members of system:masters are
// allowed without looking (Kubernetes' privileged-group authorizer). Pure:
// roles and bindings come in through a lookup, in the API from the informer.

import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject } from "../resources/rbac.ts";
import type { RequestAttributes } from "./request-attributes.ts";
import { SYSTEM_MASTERS, serviceAccountUserName, type UserInfo } from "./user.ts";

/** Where the authorizer reads roles and bindings; each call returns what exists now. */
export interface RbacLookup {
  roles(namespace: string): readonly Role[];
  clusterRoles(): readonly ClusterRole[];
  roleBindings(namespace: string): readonly RoleBinding[];
  clusterRoleBindings(): readonly ClusterRoleBinding[];
}

export interface AuthorizationResult {
  allowed: boolean;
  /** Which binding allowed it; for a refusal, the problems met on the way (a dangling roleRef), else "". */
  reason: string;
}

const ALL = "*";

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === ALL || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === ALL || g === group);
}

/** `pods`, `pods/log`, `*` (everything, subresources included), and star-slash-sub for a subresource of any resource. */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((r) => r === ALL || r === combined || (!!subresource && r === `*/${subresource}`));
}

/** A rule with resourceNames covers only requests that name one of them (so no create, and list/watch only by metadata.name). */
export function resourceNameMatches(rule: PolicyRule, name: string | undefined): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (name !== undefined && names.includes(name));
}

/** `*`, an exact path, or a prefix ending in `*` (`/apis/*`). */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some((u) => u === ALL || u === path || (u.endsWith("*") && path.startsWith(u.replace(/\*+$/, ""))));
}

export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, attrs.verb)) return false;
  if (!attrs.resourceRequest) return nonResourceURLMatches(rule, attrs.path);
  return apiGroupMatches(rule, attrs.apiGroup) && resourceMatches(rule, attrs.resource, attrs.subresource) && resourceNameMatches(rule, attrs.name);
}

/** Does `subject` name `user`? A ServiceAccount subject without a namespace means the binding's. */
export function subjectMatches(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case "User":
      return subject.name === user.name;
    case "Group":
      return user.groups.includes(subject.name);
    case "ServiceAccount": {
      const ns = subject.namespace || bindingNamespace;
      return ns !== "" && user.name === serviceAccountUserName(ns, subject.name);
    }
    default:
      return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === "ServiceAccount") return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

type RoleRules = { rules: readonly PolicyRule[] } | { error: string };

function rulesOf(lookup: RbacLookup, ref: RoleRef, bindingNamespace: string): RoleRules {
  if (ref.kind === "ClusterRole") {
    const role = lookup.clusterRoles().find((r) => r.metadata.name === ref.name);
    return role ? { rules: role.rules } : { error: `clusterrole.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found` };
  }
  if (ref.kind === "Role" && bindingNamespace) {
    const role = lookup.roles(bindingNamespace).find((r) => r.metadata.name === ref.name);
    return role ? { rules: role.rules } : { error: `role.rbac.authorization.k8s.io ${JSON.stringify(ref.name)} not found` };
  }
  return { error: `unsupported role reference kind: ${JSON.stringify(ref.kind)}` };
}

/** Decides `attrs` for `user` from the roles and bindings `lookup` holds. */
export function rbacAuthorize(user: UserInfo, attrs: RequestAttributes, lookup: RbacLookup): AuthorizationResult {
  if (user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: `allowed as a member of ${SYSTEM_MASTERS}` };
  const errors: string[] = [];
  const visit = (binding: ClusterRoleBinding | RoleBinding, namespace: string, describe: (s: Subject) => string): string | undefined => {
    const subject = (binding.subjects ?? []).find((s) => subjectMatches(user, s, namespace));
    if (!subject) return undefined;
    const role = rulesOf(lookup, binding.roleRef, namespace);
    if ("error" in role) {
      errors.push(role.error);
      return undefined;
    }
    return role.rules.some((r) => ruleAllows(attrs, r)) ? `RBAC: allowed by ${describe(subject)}` : undefined;
  };

  for (const crb of lookup.clusterRoleBindings()) {
    const name = crb.metadata.name ?? "";
    const reason = visit(crb, "", (s) => `ClusterRoleBinding ${JSON.stringify(name)} of ${crb.roleRef.kind} ${JSON.stringify(crb.roleRef.name)} to ${describeSubject(s, "")}`);
    if (reason) return { allowed: true, reason };
  }
  const ns = attrs.namespace;
  if (ns) {
    for (const rb of lookup.roleBindings(ns)) {
      const id = `${rb.metadata.name ?? ""}/${ns}`;
      const reason = visit(rb, ns, (s) => `RoleBinding ${JSON.stringify(id)} of ${rb.roleRef.kind} ${JSON.stringify(rb.roleRef.name)} to ${describeSubject(s, ns)}`);
      if (reason) return { allowed: true, reason };
    }
  }
  // Formatted as Go's utilerrors.Aggregate: one error bare, several in brackets.
  const problems = errors.length === 1 ? errors[0] : `[${errors.join(", ")}]`;
  return { allowed: false, reason: errors.length ? `RBAC: ${problems}` : "" };
}

/** `User "bob" cannot list resource "pods" in API group "" in the namespace "kube-system"`, Kubernetes' words. */
function refusal(user: UserInfo, attrs: RequestAttributes): string {
  const who = `User ${JSON.stringify(user.name)}`;
  if (!attrs.resourceRequest) return `${who} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace ? `in the namespace ${JSON.stringify(attrs.namespace)}` : "at the cluster scope";
  return `${who} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.apiGroup)} ${scope}`;
}

/**
 * The message of a 403, as kube-apiserver builds it (apierrors.NewForbidden
 * around forbiddenMessage): `pods is forbidden: User "bob" cannot list ...`,
 * `deployments.apps "web" is forbidden: ...`, `forbidden: User "bob" cannot get path "/x"`,
 * with the authorizers' reason appended after a colon when there is one.
 */
export function forbiddenMessage(user: UserInfo, attrs: RequestAttributes, reason = ""): string {
  const detail = reason ? `${refusal(user, attrs)}: ${reason}` : refusal(user, attrs);
  if (!attrs.resourceRequest || !attrs.resource) return `forbidden: ${detail}`;
  const qualified = attrs.apiGroup ? `${attrs.resource}.${attrs.apiGroup}` : attrs.resource;
  return attrs.name ? `${qualified} ${JSON.stringify(attrs.name)} is forbidden: ${detail}` : `${qualified} is forbidden: ${detail}`;
}
