// Builders for FieldCause in the shape apimachinery's field.Error produces
// (reason `FieldValueInvalid`, message `Invalid value: "Foo_": <detail>`),
// Kubernetes-style field paths, and the conversion of zod issues to causes.

import type { z } from "zod";
import type { FieldCause } from "../errors.ts";

/** Appends `.name` to a path; the empty path has no leading dot. */
export function child(path: string, ...names: string[]): string {
  return names.reduce((p, n) => (p ? `${p}.${n}` : n), path);
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

/** Go's rendering of a bad value: %q for strings, %v for scalars, map literal for string maps. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "string")) {
    const entries = Object.entries(value as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[string]string{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(", ")}}`;
  }
  return JSON.stringify(value);
}

const withDetail = (body: string, detail: string): string => (detail ? `${body}: ${detail}` : body);

export function required(field: string, detail = ""): FieldCause {
  return { reason: "FieldValueRequired", message: withDetail("Required value", detail), field };
}

export function invalid(field: string, value: unknown, detail: string): FieldCause {
  return { reason: "FieldValueInvalid", message: withDetail(`Invalid value: ${formatValue(value)}`, detail), field };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldCause {
  const list = supported.map((s) => JSON.stringify(s)).join(", ");
  return { reason: "FieldValueNotSupported", message: withDetail(`Unsupported value: ${formatValue(value)}`, list ? `supported values: ${list}` : ""), field };
}

export function duplicate(field: string, value: unknown): FieldCause {
  return { reason: "FieldValueDuplicate", message: `Duplicate value: ${formatValue(value)}`, field };
}

export function notFound(field: string, value: unknown): FieldCause {
  return { reason: "FieldValueNotFound", message: `Not found: ${formatValue(value)}`, field };
}

export function forbidden(field: string, detail: string): FieldCause {
  return { reason: "FieldValueForbidden", message: withDetail("Forbidden", detail), field };
}

export function tooLong(field: string, maxBytes: number): FieldCause {
  return { reason: "FieldValueTooLong", message: `Too long: must have at most ${maxBytes} bytes`, field };
}

/** One Invalid cause per message, as Kubernetes reports string-format errors. */
export function invalidEach(field: string, value: unknown, messages: readonly string[]): FieldCause[] {
  return messages.map((m) => invalid(field, value, m));
}

export const NEGATIVE_ERROR = "must be greater than or equal to 0";

export function nonNegative(field: string, value: number | undefined): FieldCause[] {
  return value !== undefined && value < 0 ? [invalid(field, value, NEGATIVE_ERROR)] : [];
}

export const IMMUTABLE_ERROR = "field is immutable";

// Map-valued fields whose children are keys, not field names: `data[tls.crt]`.
const MAP_FIELDS = new Set([
  "labels", "annotations", "data", "binaryData", "stringData", "nodeSelector", "matchLabels",
  "limits", "requests", "capacity", "allocatable", "overhead",
]);

/** `["spec","containers",0,"image"]` -> `spec.containers[0].image`. */
export function pathOf(segments: readonly PropertyKey[]): string {
  let out = "";
  let parent: PropertyKey | undefined;
  for (const seg of segments) {
    if (typeof seg === "number") out = index(out, seg);
    else if (typeof seg === "string" && (MAP_FIELDS.has(String(parent)) || !/^[A-Za-z_$][\w$]*$/.test(seg))) out = key(out, seg);
    else out = child(out, String(seg));
    parent = seg;
  }
  return out;
}

function valueAt(root: unknown, segments: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of segments) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** Converts zod issues to causes; `input` is what was parsed, to report the bad values. */
export function causesFromZod(error: z.ZodError, input: unknown): FieldCause[] {
  return error.issues.map((issue) => {
    const field = pathOf(issue.path);
    const value = valueAt(input, issue.path);
    switch (issue.code) {
      case "invalid_type":
        if (value === undefined) return required(field);
        return invalid(field, value, `must be of type ${issue.expected}`);
      case "invalid_value":
        return notSupported(field, value, issue.values.map(String));
      case "too_big":
        return issue.origin === "string" ? tooLong(field, Number(issue.maximum)) : invalid(field, value, issue.message);
      default:
        return invalid(field, value, issue.message);
    }
  });
}
