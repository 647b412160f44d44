// Namespace policy kinds (core/v1): ResourceQuota (hard limits on what a
// namespace may use) and LimitRange (per-container defaults and bounds).

import { z } from "zod";
import { ObjectMeta, ResourceList, orEmpty, typeMeta } from "./meta.ts";

export const ResourceQuota = z.looseObject({
  ...typeMeta("ResourceQuota"),
  metadata: orEmpty(ObjectMeta),
  spec: z
    .looseObject({
      hard: ResourceList.optional(),
      scopes: z.array(z.string()).optional(),
    })
    .prefault({}),
  status: z.looseObject({ hard: ResourceList.optional(), used: ResourceList.optional() }).optional(),
});
export type ResourceQuota = z.infer<typeof ResourceQuota>;

export const LIMIT_TYPES = ["Container", "Pod", "PersistentVolumeClaim"] as const;

export const LimitRangeItem = z.looseObject({
  type: z.enum(LIMIT_TYPES),
  max: ResourceList.optional(),
  min: ResourceList.optional(),
  default: ResourceList.optional(),
  defaultRequest: ResourceList.optional(),
  maxLimitRequestRatio: ResourceList.optional(),
});
export type LimitRangeItem = z.infer<typeof LimitRangeItem>;

export const LimitRange = z.looseObject({
  ...typeMeta("LimitRange"),
  metadata: orEmpty(ObjectMeta),
  spec: z.looseObject({ limits: z.array(LimitRangeItem).default(() => []) }).prefault({}),
});
export type LimitRange = z.infer<typeof LimitRange>;
