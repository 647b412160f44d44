// Label selectors: the value the registry, the controllers and the scheduler
// filter by, built from a `labelSelector=` string or from a metav1.LabelSelector
// in a spec, and printed back canonically for query strings.

import { TugError } from "../errors.ts";
import { parseRequirements } from "./label-parser.ts";
import {
  compareRequirements,
  formatRequirement,
  makeRequirement,
  matchesRequirement,
  requirementError,
  type LabelOperator,
  type LabelRequirement,
} from "./label-requirement.ts";

export type { LabelOperator, LabelRequirement } from "./label-requirement.ts";

/** Requirements ANDed together, sorted canonically. No requirements selects everything. */
export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /**
   * Selects no object at all: what a missing (null) spec selector means.
   * It prints as "" like Kubernetes' labels.Nothing(), so check it before
   * turning a selector into a query string.
   */
  readonly nothing?: boolean;
}

/** The metav1.LabelSelector shape of a spec's `selector` field. */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export const EVERYTHING: LabelSelector = { requirements: [] };
export const NOTHING: LabelSelector = { requirements: [], nothing: true };

function fromRequirements(requirements: readonly LabelRequirement[]): LabelSelector {
  return { requirements: [...requirements].sort(compareRequirements) };
}

/** Parses `a=b,c!=d,env in (prod,qa),tier notin (fe),key,!key`; "" selects everything. Throws BadRequest. */
export function parseLabelSelector(s: string): LabelSelector {
  return fromRequirements(parseRequirements(s));
}

/** A validated requirement; throws BadRequest with Kubernetes' message when invalid. */
export function labelRequirement(key: string, operator: LabelOperator | "==", values: readonly string[] = []): LabelRequirement {
  const err = requirementError(key, operator, values);
  if (err) throw new TugError("BadRequest", err);
  return makeRequirement(key, operator, values);
}

export function labelSelector(requirements: readonly LabelRequirement[]): LabelSelector {
  return fromRequirements(requirements);
}

export function matchesLabels(sel: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (sel.nothing) return false;
  const set = labels ?? {};
  return sel.requirements.every((r) => matchesRequirement(r, set));
}

export function isEverything(sel: LabelSelector): boolean {
  return !sel.nothing && sel.requirements.length === 0;
}

/** Canonical string form; parsing it gives an equal selector (except for NOTHING, which prints as ""). */
export function formatLabelSelector(sel: LabelSelector): string {
  return [...sel.requirements].sort(compareRequirements).map(formatRequirement).join(",");
}

const SPEC_OPERATORS: Record<string, LabelOperator> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" };

/**
 * metav1.LabelSelectorAsSelector: null or undefined selects nothing, an empty
 * selector everything, otherwise matchLabels and matchExpressions are ANDed.
 * Throws Invalid, since a bad selector is a bad field of a stored object.
 */
export function selectorFromSpec(spec: LabelSelectorSpec | undefined | null): LabelSelector {
  if (spec === null || spec === undefined) return NOTHING;
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(spec.matchLabels ?? {})) {
    requirements.push(specRequirement(key, "=", [value]));
  }
  for (const expr of spec.matchExpressions ?? []) {
    const op = Object.hasOwn(SPEC_OPERATORS, expr.operator) ? SPEC_OPERATORS[expr.operator] : undefined;
    if (!op) throw new TugError("Invalid", `${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    requirements.push(specRequirement(expr.key, op, expr.values ?? []));
  }
  return fromRequirements(requirements);
}

function specRequirement(key: string, operator: LabelOperator, values: readonly string[]): LabelRequirement {
  const err = requirementError(key, operator, values);
  if (err) throw new TugError("Invalid", err);
  return makeRequirement(key, operator, values);
}

/** labels.SelectorFromSet: every label of the set must be present with that value. */
export function selectorFromSet(set: Readonly<Record<string, string>> | undefined): LabelSelector {
  return selectorFromSpec({ matchLabels: { ...set } });
}
