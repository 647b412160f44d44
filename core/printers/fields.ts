// Lenient readers for printing: a printer must render whatever a stored (or
// half-written) object holds without throwing, so fields are read as unknown
// and narrowed here, and the shared cell formats kubectl uses live here too.

import { formatLabelSelector, selectorFromSpec, type LabelSelectorSpec } from "../selectors/label-selector.ts";
import type { ColumnDefinition } from "./types.ts";

export type Rec = Record<string, unknown>;

export function rec(v: unknown): Rec {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Rec) : {};
}
export function arr(v: unknown): Rec[] {
  return Array.isArray(v) ? v.map(rec) : [];
}
export function strs(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}
export function str(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : "";
}
export function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}
/** Follows a path of keys through nested objects. */
export function at(obj: unknown, ...path: string[]): unknown {
  let v: unknown = obj;
  for (const k of path) v = rec(v)[k];
  return v;
}

/** labels.FormatLabels: sorted k=v joined by commas, "<none>" when empty. */
export function formatLabels(labels: unknown): string {
  const entries = Object.entries(rec(labels)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? "<none>" : entries.map(([k, v]) => `${k}=${str(v)}`).join(",");
}

/** metav1.LabelSelectorAsSelector(...).String(); an invalid selector prints "<error>". */
export function formatSelectorSpec(spec: unknown): string {
  if (spec === undefined || spec === null) return "";
  try {
    return formatLabelSelector(selectorFromSpec(spec as LabelSelectorSpec));
  } catch {
    return "<error>";
  }
}

/** layoutContainerCells: container names and images, comma-joined. */
export function containerCells(podSpec: unknown): [string, string] {
  const cs = arr(rec(podSpec).containers);
  return [cs.map((c) => str(c.name)).join(","), cs.map((c) => str(c.image)).join(",")];
}

export function col(name: string, opts: Partial<Omit<ColumnDefinition, "name">> = {}): ColumnDefinition {
  return { name, type: opts.type ?? "string", format: opts.format ?? "", description: opts.description ?? "", priority: opts.priority ?? 0 };
}
export const NAME_COLUMN = col("Name", { format: "name", description: "Name must be unique within a namespace." });
export const AGE_COLUMN = col("Age", { description: "CreationTimestamp is a timestamp representing the server time when this object was created." });

export function nameOf(obj: unknown): string {
  return str(at(obj, "metadata", "name"));
}
