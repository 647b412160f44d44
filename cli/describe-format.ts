// The layout of `describe` output: "Key:  value" lines whose values line up
// within a block, multi-line maps (labels) continued under the value column,
// and small tables (conditions, events), as kubectl's describers print them.

import { at, formatLabels, rec, str } from "../core/printers/fields.ts";

export type Field = [label: string, value: string | string[]];

/** One block of aligned fields at an indentation (in spaces). */
export function fields(entries: readonly Field[], indent = 0): string[] {
  // top-level blocks share a minimum width so consecutive blocks line up (kubectl aligns the whole output)
  const width = Math.max(indent === 0 ? 18 : 0, ...entries.map(([k]) => k.length + 1)) + 2;
  const pad = " ".repeat(indent);
  const out: string[] = [];
  for (const [k, v] of entries) {
    const values = Array.isArray(v) ? (v.length ? v : ["<none>"]) : [v];
    out.push(`${pad}${`${k}:`.padEnd(width)}${values[0]}`.trimEnd());
    for (const more of values.slice(1)) out.push(`${pad}${" ".repeat(width)}${more}`);
  }
  return out;
}

/** A map as describe prints labels: one k=v per line, "<none>" when empty. */
export function mapLines(m: unknown, skip: readonly string[] = []): string[] {
  const entries = Object.entries(rec(m)).filter(([k]) => !skip.includes(k));
  if (entries.length === 0) return ["<none>"];
  return formatLabels(Object.fromEntries(entries)).split(",");
}

/** An indented, space-aligned table with a dashed rule under the header. */
export function table(header: readonly string[], rows: readonly string[][], indent = 2): string[] {
  const all = [header, header.map((h) => "-".repeat(h.length)), ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const pad = " ".repeat(indent);
  return all.map((r) => pad + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join("").trimEnd());
}

/** Conditions (type, status, reason) as a table. */
export function conditionLines(obj: unknown, path: string[]): string[] {
  const conditions = at(obj, ...path);
  if (!Array.isArray(conditions) || conditions.length === 0) return [];
  return ["Conditions:", ...table(["Type", "Status", "Reason"], conditions.map((c) => [str(rec(c).type), str(rec(c).status), str(rec(c).reason) || ""]))];
}
