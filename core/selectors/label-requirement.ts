// One requirement of a label selector (`key in (a,b)`): its validated
// construction, how it matches a label set and how it prints. Mirrors
// apimachinery labels.Requirement.

import { invalidValue, labelKeyErrors, labelValueErrors } from "./label-syntax.ts";

/**
 * Requirement operators, spelled like apimachinery's selection.Operator.
 * `==` is normalised to `=` when parsed: they match the same labels.
 */
export type LabelOperator = "=" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted and without duplicates; empty for `exists` and `!`, one value for `=`, `!=`, `gt`, `lt`. */
  readonly values: readonly string[];
}

const INT64 = /^[+-]?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function parseInt64(s: string): bigint | undefined {
  if (!INT64.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/**
 * Why a requirement is invalid (joined like Kubernetes' aggregate error), or
 * undefined when it is valid. Callers wrap the message in their own TugError.
 */
export function requirementError(key: string, operator: string, values: readonly string[]): string | undefined {
  const errs: string[] = [];
  const keyErrs = labelKeyErrors(key);
  if (keyErrs.length) errs.push(invalidValue("key", key, keyErrs.join("; ")));
  switch (operator) {
    case "in":
    case "notin":
      if (values.length === 0) errs.push(invalidValue("values", values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case "=":
    case "==":
    case "!=":
      if (values.length !== 1) errs.push(invalidValue("values", values, "exact-match compatibility requires one single value"));
      break;
    case "exists":
    case "!":
      if (values.length !== 0) errs.push(invalidValue("values", values, "values set must be empty for exists and does not exist"));
      break;
    case "gt":
    case "lt":
      if (values.length !== 1) errs.push(invalidValue("values", values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(invalidValue(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(`operator: Unsupported value: ${JSON.stringify(operator)}: supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"`);
  }
  values.forEach((v, i) => {
    const valueErrs = labelValueErrors(v);
    if (valueErrs.length) errs.push(invalidValue(`values[${i}]`, v, valueErrs.join("; ")));
  });
  if (errs.length === 0) return undefined;
  return errs.length === 1 ? errs[0] : `[${errs.join(", ")}]`;
}

/** A requirement from already validated parts (see requirementError). */
export function makeRequirement(key: string, operator: LabelOperator | "==", values: readonly string[]): LabelRequirement {
  return { key, operator: operator === "==" ? "=" : operator, values: [...new Set(values)].sort() };
}

function has(labels: Readonly<Record<string, string>>, key: string): boolean {
  return Object.hasOwn(labels, key);
}

export function matchesRequirement(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  switch (r.operator) {
    case "=":
    case "in":
      return has(labels, r.key) && r.values.includes(labels[r.key]!);
    case "!=":
    case "notin":
      return !has(labels, r.key) || !r.values.includes(labels[r.key]!);
    case "exists":
      return has(labels, r.key);
    case "!":
      return !has(labels, r.key);
    case "gt":
    case "lt": {
      if (!has(labels, r.key) || r.values.length !== 1) return false;
      const actual = parseInt64(labels[r.key]!);
      const bound = parseInt64(r.values[0]!);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === "gt" ? actual > bound : actual < bound;
    }
  }
}

export function formatRequirement(r: LabelRequirement): string {
  switch (r.operator) {
    case "exists":
      return r.key;
    case "!":
      return `!${r.key}`;
    case "in":
    case "notin":
      return `${r.key} ${r.operator} (${r.values.join(",")})`;
    case "gt":
      return `${r.key}>${r.values[0] ?? ""}`;
    case "lt":
      return `${r.key}<${r.values[0] ?? ""}`;
    case "=":
    case "!=":
      return `${r.key}${r.operator}${r.values[0] ?? ""}`;
  }
}

const OPERATOR_ORDER: Record<LabelOperator, number> = { exists: 0, "!": 1, "=": 2, "!=": 3, in: 4, notin: 5, gt: 6, lt: 7 };

/** Canonical order: by key (like Kubernetes), then operator and values so equal selectors print equally. */
export function compareRequirements(a: LabelRequirement, b: LabelRequirement): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.operator !== b.operator) return OPERATOR_ORDER[a.operator] - OPERATOR_ORDER[b.operator];
  const av = a.values.join(","), bv = b.values.join(",");
  return av < bv ? -1 : av > bv ? 1 : 0;
}
