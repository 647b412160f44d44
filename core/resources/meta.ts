// Shapes shared by every kind: ObjectMeta, owner and object references,
// label selectors, conditions, IntOrString and quantities. Objects are loose:
// fields we do not model are kept, never stripped, so clients lose nothing.

import { z } from "zod";
import { apiVersionOf, type KindName } from "./kinds.ts";
import { formatQuantity, safeParseQuantity } from "./quantity.ts";

/** Treats a missing value as `{}` so nested defaults and required fields still apply. */
export function orEmpty<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === undefined ? {} : v), schema);
}

/** `apiVersion` and `kind`, defaulted for in-process callers that leave them out. */
export function typeMeta<K extends KindName>(kind: K) {
  return { apiVersion: z.string().default(apiVersionOf(kind)), kind: z.string().default(kind) };
}

export const IntOrString = z.union([z.int(), z.string()]);
export type IntOrString = z.infer<typeof IntOrString>;

/**
 * A resource.Quantity as JSON: a string, or a number as clients may send.
 * Stored in Kubernetes' canonical form ("1000m" becomes "1").
 */
export const QuantityString = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const r = safeParseQuantity(typeof v === "number" ? String(v) : v);
  if (r.ok) return formatQuantity(r.quantity);
  ctx.issues.push({ code: "custom", message: r.error, input: v });
  return z.NEVER;
});

export const ResourceList = z.record(z.string(), QuantityString);
export type ResourceList = z.infer<typeof ResourceList>;

export const StringMap = z.record(z.string(), z.string());

export const OwnerReference = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof OwnerReference>;

export const ObjectMeta = z.looseObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  selfLink: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  deletionGracePeriodSeconds: z.int().optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  ownerReferences: z.array(OwnerReference).optional(),
  finalizers: z.array(z.string()).optional(),
  managedFields: z.array(z.looseObject({})).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

export const LABEL_SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

export const LabelSelectorRequirement = z.looseObject({
  key: z.string(),
  operator: z.enum(LABEL_SELECTOR_OPERATORS),
  values: z.array(z.string()).optional(),
});
export type LabelSelectorRequirement = z.infer<typeof LabelSelectorRequirement>;

export const LabelSelector = z.looseObject({
  matchLabels: StringMap.optional(),
  matchExpressions: z.array(LabelSelectorRequirement).optional(),
});
export type LabelSelector = z.infer<typeof LabelSelector>;

export const ConditionStatus = z.enum(["True", "False", "Unknown"]);

/** One condition; the timestamp fields differ per kind, so all are optional. */
export const Condition = z.looseObject({
  type: z.string(),
  status: ConditionStatus,
  observedGeneration: z.int().optional(),
  lastProbeTime: z.string().optional(),
  lastHeartbeatTime: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  lastUpdateTime: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type Condition = z.infer<typeof Condition>;

export const LocalObjectReference = z.looseObject({ name: z.string().optional() });
export type LocalObjectReference = z.infer<typeof LocalObjectReference>;

export const ObjectReference = z.looseObject({
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiVersion: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});
export type ObjectReference = z.infer<typeof ObjectReference>;


export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0;
}
