// Field selectors (`metadata.name=x,status.phase!=Failed`): parsing with
// Kubernetes' escaping rules, checking the fields against the kind, matching
// an object and printing back. A port of apimachinery fields.ParseSelector;
// every compare is a plain string compare, as in kube-apiserver.

import { TugError } from "../errors.ts";
import type { KindName } from "../resources/kinds.ts";
import type { KubeObject } from "../resources/object.ts";
import { FIELD_LABELS, fieldAt } from "./field-labels.ts";

export { supportedFieldLabels } from "./field-labels.ts";

export interface FieldRequirement {
  readonly field: string;
  /** `==` is normalised to `=`. */
  readonly operator: "=" | "!=";
  /** Unescaped. */
  readonly value: string;
}

/** Requirements ANDed together, sorted; none selects everything. */
export interface FieldSelector {
  readonly kind: KindName;
  readonly requirements: readonly FieldRequirement[];
}

// Order matters: `!=` and `==` must be tried before `=`.
const OPERATORS = ["!=", "==", "="] as const;

/** Splits on commas that are not escaped with a backslash. */
function splitTerms(s: string): string[] {
  if (s === "") return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (escaped) escaped = false;
    else if (c === "\\") escaped = true;
    else if (c === ",") {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

function splitTerm(term: string): [string, (typeof OPERATORS)[number], string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of OPERATORS) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/** fields.UnescapeValue: `\\`, `\,` and `\=` are the only escapes; bare `,` and `=` are errors. */
export function unescapeFieldValue(s: string): string {
  let out = "";
  let escaped = false;
  for (const c of s) {
    if (escaped) {
      if (c !== "\\" && c !== "," && c !== "=") {
        throw new TugError("BadRequest", `invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      escaped = false;
    } else if (c === "\\") escaped = true;
    else if (c === "," || c === "=") throw new TugError("BadRequest", `invalid field selector: unescaped character in value: ${c}`);
    else out += c;
  }
  if (escaped) throw new TugError("BadRequest", "invalid field selector: invalid escape sequence: \\");
  return out;
}

export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

function compare(a: FieldRequirement, b: FieldRequirement): number {
  const x = formatRequirement(a), y = formatRequirement(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Parses a field selector for `kind`; "" selects everything. Throws
 * BadRequest for bad syntax and for a field the kind cannot be selected by.
 */
export function parseFieldSelector(s: string, kind: KindName): FieldSelector {
  const supported = FIELD_LABELS[kind];
  const requirements: FieldRequirement[] = [];
  for (const term of splitTerms(s)) {
    if (term === "") continue;
    const parts = splitTerm(term);
    if (!parts) throw new TugError("BadRequest", `invalid selector: '${s}'; can't understand '${term}'`);
    const [field, op, rawValue] = parts;
    const value = unescapeFieldValue(rawValue);
    if (!Object.hasOwn(supported, field)) throw new TugError("BadRequest", `field label not supported: ${field}`);
    requirements.push({ field, operator: op === "!=" ? "!=" : "=", value });
  }
  return { kind, requirements: requirements.sort(compare) };
}

export function matchesFields(sel: FieldSelector, obj: KubeObject): boolean {
  const getters = FIELD_LABELS[sel.kind];
  return sel.requirements.every((r) => {
    const get = Object.hasOwn(getters, r.field) ? getters[r.field]! : fieldAt(r.field);
    return (get(obj) === r.value) === (r.operator === "=");
  });
}

function formatRequirement(r: FieldRequirement): string {
  return `${r.field}${r.operator}${escapeFieldValue(r.value)}`;
}

/** Canonical string form, values escaped; parsing it gives an equal selector. */
export function formatFieldSelector(sel: FieldSelector): string {
  return [...sel.requirements].sort(compare).map(formatRequirement).join(",");
}
