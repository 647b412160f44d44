// Semantic checks of the RBAC kinds beyond their schema (Kubernetes'
// pkg/apis/rbac/validation): every rule names verbs and either resources or
// non-resource URLs, a binding points at a Role or ClusterRole of the RBAC
// group, and its subjects are well-formed.

import type { FieldCause } from "../errors.ts";
import { child, index, invalid, invalidEach, notSupported, required } from "./field-errors.ts";
import { isDNS1123Subdomain, isValidPathSegmentName } from "./names.ts";
import { RBAC_GROUP, SUBJECT_KINDS, type ClusterRole, type ClusterRoleBinding, type PolicyRule, type Role, type RoleBinding, type RoleRef, type Subject } from "./rbac.ts";

function validatePolicyRule(rule: PolicyRule, opts: { namespaced: boolean }, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (rule.verbs.length === 0) causes.push(required(child(path, "verbs"), "verbs must contain at least one value"));
  const urls = rule.nonResourceURLs ?? [];
  if (urls.length > 0) {
    if (opts.namespaced) causes.push(invalid(child(path, "nonResourceURLs"), urls, "namespaced rules cannot apply to non-resource URLs"));
    if ((rule.apiGroups?.length ?? 0) + (rule.resources?.length ?? 0) + (rule.resourceNames?.length ?? 0) > 0) {
      causes.push(invalid(child(path, "nonResourceURLs"), urls, "rules cannot apply to both regular resources and non-resource URLs"));
    }
    return causes;
  }
  if (!rule.apiGroups?.length) causes.push(required(child(path, "apiGroups"), "resource rules must supply at least one api group"));
  if (!rule.resources?.length) causes.push(required(child(path, "resources"), "resource rules must supply at least one resource"));
  return causes;
}

function validateRules(rules: readonly PolicyRule[], opts: { namespaced: boolean }): FieldCause[] {
  return rules.flatMap((r, i) => validatePolicyRule(r, opts, index("rules", i)));
}

export function validateRole(role: Role): FieldCause[] {
  return validateRules(role.rules, { namespaced: true });
}

export function validateClusterRole(role: ClusterRole): FieldCause[] {
  return validateRules(role.rules, { namespaced: false });
}

function validateSubject(s: Subject, opts: { namespaced: boolean }, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!s.name) causes.push(required(child(path, "name")));
  switch (s.kind) {
    case "ServiceAccount":
      if (s.name) causes.push(...invalidEach(child(path, "name"), s.name, isDNS1123Subdomain(s.name)));
      if (s.apiGroup) causes.push(notSupported(child(path, "apiGroup"), s.apiGroup, [""]));
      if (!opts.namespaced && !s.namespace) causes.push(required(child(path, "namespace")));
      break;
    case "User":
    case "Group":
      if (s.apiGroup !== RBAC_GROUP) causes.push(notSupported(child(path, "apiGroup"), s.apiGroup, [RBAC_GROUP]));
      break;
    default:
      causes.push(notSupported(child(path, "kind"), s.kind, SUBJECT_KINDS));
  }
  return causes;
}

function validateRoleRef(ref: RoleRef, kinds: readonly string[]): FieldCause[] {
  const causes: FieldCause[] = [];
  if (ref.apiGroup !== RBAC_GROUP) causes.push(notSupported("roleRef.apiGroup", ref.apiGroup, [RBAC_GROUP]));
  if (!kinds.includes(ref.kind)) causes.push(notSupported("roleRef.kind", ref.kind, kinds));
  if (!ref.name) causes.push(required("roleRef.name"));
  else causes.push(...invalidEach("roleRef.name", ref.name, isValidPathSegmentName(ref.name)));
  return causes;
}

export function validateRoleBinding(rb: RoleBinding): FieldCause[] {
  return [
    ...validateRoleRef(rb.roleRef, ["Role", "ClusterRole"]),
    ...(rb.subjects ?? []).flatMap((s, i) => validateSubject(s, { namespaced: true }, index("subjects", i))),
  ];
}

export function validateClusterRoleBinding(crb: ClusterRoleBinding): FieldCause[] {
  return [
    ...validateRoleRef(crb.roleRef, ["ClusterRole"]),
    ...(crb.subjects ?? []).flatMap((s, i) => validateSubject(s, { namespaced: false }, index("subjects", i))),
  ];
}
