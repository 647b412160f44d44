// RBAC kinds (rbac.authorization.k8s.io/v1): Role, ClusterRole, RoleBinding,
// ClusterRoleBinding, with the defaults Kubernetes gives them (a roleRef or a
// User/Group subject without apiGroup is in the RBAC group). A ClusterRole's
// aggregationRule is kept as an unknown field: tug does not aggregate.

import { z } from "zod";
import { ObjectMeta, orEmpty, typeMeta } from "./meta.ts";

export const RBAC_GROUP = "rbac.authorization.k8s.io";

export const PolicyRule = z.looseObject({
  verbs: z.array(z.string()).default(() => []),
  apiGroups: z.array(z.string()).optional(),
  resources: z.array(z.string()).optional(),
  resourceNames: z.array(z.string()).optional(),
  nonResourceURLs: z.array(z.string()).optional(),
});
export type PolicyRule = z.infer<typeof PolicyRule>;

export const SUBJECT_KINDS = ["ServiceAccount", "User", "Group"] as const;

export const Subject = z
  .looseObject({
    kind: z.string(),
    name: z.string().default(""),
    namespace: z.string().optional(),
    apiGroup: z.string().optional(),
  })
  .overwrite((s) => {
    // SetDefaults_Subject: Users and Groups live in the RBAC group, ServiceAccounts in the core one.
    if (!s.apiGroup && (s.kind === "User" || s.kind === "Group")) s.apiGroup = RBAC_GROUP;
    return s;
  });
export type Subject = z.infer<typeof Subject>;

export const RoleRef = z
  .looseObject({
    apiGroup: z.string().default(RBAC_GROUP),
    kind: z.string(),
    name: z.string().default(""),
  })
  .overwrite((r) => {
    // SetDefaults_RoleBinding: an empty apiGroup is the RBAC group too.
    if (!r.apiGroup) r.apiGroup = RBAC_GROUP;
    return r;
  });
export type RoleRef = z.infer<typeof RoleRef>;

const rules = z.array(PolicyRule).default(() => []);

export const Role = z.looseObject({
  ...typeMeta("Role"),
  metadata: orEmpty(ObjectMeta),
  rules,
});
export type Role = z.infer<typeof Role>;

export const ClusterRole = z.looseObject({
  ...typeMeta("ClusterRole"),
  metadata: orEmpty(ObjectMeta),
  rules,
});
export type ClusterRole = z.infer<typeof ClusterRole>;

export const RoleBinding = z.looseObject({
  ...typeMeta("RoleBinding"),
  metadata: orEmpty(ObjectMeta),
  roleRef: RoleRef,
  subjects: z.array(Subject).optional(),
});
export type RoleBinding = z.infer<typeof RoleBinding>;

export const ClusterRoleBinding = z.looseObject({
  ...typeMeta("ClusterRoleBinding"),
  metadata: orEmpty(ObjectMeta),
  roleRef: RoleRef,
  subjects: z.array(Subject).optional(),
});
export type ClusterRoleBinding = z.infer<typeof ClusterRoleBinding>;
