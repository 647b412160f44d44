// v1.NodeSelector terms (node affinity), compiled once per Pod into label
// requirements so that matching a node is a loop over small arrays. Terms
// are ORed; inside a term every expression and field must hold. As in
// Kubernetes, a term with no requirement, or one that does not parse,
// matches no node.

import { makeRequirement, matchesRequirement, requirementError, type LabelOperator, type LabelRequirement } from "../selectors/label-requirement.ts";

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface CompiledTerm {
  readonly labels: readonly LabelRequirement[];
  /** Requirements on metadata.name, the one field Kubernetes supports. */
  readonly names: readonly LabelRequirement[];
}

const OPERATORS: Readonly<Record<string, LabelOperator>> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!", Gt: "gt", Lt: "lt" };
const FIELD_OPERATORS: Readonly<Record<string, LabelOperator>> = { In: "in", NotIn: "notin" };
const NAME_FIELD = "metadata.name";

function compileExpression(r: NodeSelectorRequirement): LabelRequirement | undefined {
  const op = Object.hasOwn(OPERATORS, r.operator) ? OPERATORS[r.operator] : undefined;
  if (!op) return undefined;
  const values = r.values ?? [];
  if (requirementError(r.key, op, values)) return undefined;
  return makeRequirement(r.key, op, values);
}

/** A compiled term, or undefined when it matches nothing (empty or invalid). */
export function compileTerm(term: NodeSelectorTerm | undefined): CompiledTerm | undefined {
  if (!term) return undefined;
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return undefined;
  const labels: LabelRequirement[] = [];
  for (const e of exprs) {
    const r = compileExpression(e);
    if (!r) return undefined;
    labels.push(r);
  }
  const names: LabelRequirement[] = [];
  for (const f of fields) {
    // The requirement is evaluated against a one-entry label set {name: node name}.
    // Node names are not label values (they may be longer), so only the shape is checked.
    const op = Object.hasOwn(FIELD_OPERATORS, f.operator) ? FIELD_OPERATORS[f.operator] : undefined;
    if (f.key !== NAME_FIELD || !op || !f.values?.length) return undefined;
    names.push(makeRequirement("name", op, f.values));
  }
  return { labels, names };
}

/** The terms that can match something; an empty result matches no node. */
export function compileTerms(terms: readonly NodeSelectorTerm[] | undefined): CompiledTerm[] {
  const out: CompiledTerm[] = [];
  for (const t of terms ?? []) {
    const c = compileTerm(t);
    if (c) out.push(c);
  }
  return out;
}

export function termMatches(term: CompiledTerm, nodeName: string, labels: Readonly<Record<string, string>>): boolean {
  for (const r of term.labels) if (!matchesRequirement(r, labels)) return false;
  if (term.names.length) {
    const fields = { name: nodeName };
    for (const r of term.names) if (!matchesRequirement(r, fields)) return false;
  }
  return true;
}

export function anyTermMatches(terms: readonly CompiledTerm[], nodeName: string, labels: Readonly<Record<string, string>>): boolean {
  for (const t of terms) if (termMatches(t, nodeName, labels)) return true;
  return false;
}
