// Semantic checks of ResourceQuota and LimitRange beyond their schema: the
// quantities must be non-negative, and a LimitRange's bounds must be ordered.

import type { FieldCause } from "../errors.ts";
import { child, index, invalid, key } from "./field-errors.ts";
import type { LimitRange, ResourceQuota } from "./policy.ts";
import { compareQuantities, parseQuantity } from "./quantity.ts";

const ZERO = parseQuantity("0");

function nonNegativeList(list: Record<string, string> | undefined, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [name, value] of Object.entries(list ?? {})) {
    if (compareQuantities(parseQuantity(value), ZERO) < 0) causes.push(invalid(key(path, name), value, "must be greater than or equal to 0"));
  }
  return causes;
}

export function validateResourceQuota(q: ResourceQuota): FieldCause[] {
  return nonNegativeList(q.spec.hard, "spec.hard");
}

export function validateLimitRange(lr: LimitRange): FieldCause[] {
  const causes: FieldCause[] = [];
  lr.spec.limits.forEach((item, i) => {
    const path = index("spec.limits", i);
    for (const f of ["max", "min", "default", "defaultRequest"] as const) causes.push(...nonNegativeList(item[f], child(path, f)));
    for (const [name, min] of Object.entries(item.min ?? {})) {
      const max = item.max?.[name];
      if (max !== undefined && compareQuantities(parseQuantity(min), parseQuantity(max)) > 0) {
        causes.push(invalid(key(child(path, "min"), name), min, `min value ${min} is greater than max value ${max}`));
      }
    }
    for (const f of ["default", "defaultRequest"] as const) {
      for (const [name, v] of Object.entries(item[f] ?? {})) {
        const max = item.max?.[name];
        const min = item.min?.[name];
        if (max !== undefined && compareQuantities(parseQuantity(v), parseQuantity(max)) > 0) {
          causes.push(invalid(key(child(path, f), name), v, `${f} value ${v} is greater than max value ${max}`));
        }
        if (min !== undefined && compareQuantities(parseQuantity(v), parseQuantity(min)) < 0) {
          causes.push(invalid(key(child(path, f), name), v, `min value ${min} is greater than ${f} value ${v}`));
        }
      }
    }
  });
  return causes;
}
