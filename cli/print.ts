// Output for the resource verbs: kubectl-style aligned tables from
// core/printers (three spaces between columns, upper-case headers, the header
// bold only on a colour TTY), and -o yaml|json|name for objects and lists.

import { stringify } from "yaml";
import { TugError } from "../core/errors.ts";
import { tableColumns, tableRow, type Cell } from "../core/printers/table.ts";
import type { KindName } from "../core/resources/kinds.ts";
import type { KubeObject } from "../core/resources/object.ts";
import { kindRef } from "./resource-args.ts";

export const OUTPUT_FORMATS = ["wide", "yaml", "json", "name"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number] | "table";

export function parseOutput(o: string | undefined): OutputFormat {
  if (o === undefined || o === "") return "table";
  if ((OUTPUT_FORMATS as readonly string[]).includes(o)) return o as OutputFormat;
  throw new TugError("BadRequest", `unable to match a printer suitable for the output format "${o}", allowed formats are: ${OUTPUT_FORMATS.join(",")}`);
}

export function useColour(stream: { isTTY?: boolean } = process.stdout): boolean {
  return !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== "dumb";
}

function cellText(c: Cell | undefined): string {
  return c === undefined ? "" : String(c);
}

export interface TableOptions {
  wide: boolean;
  /** Adds a NAMESPACE column first (-A). */
  withNamespace: boolean;
  /** Prefixes names with `kind.group/` (several kinds in one get). */
  withKind: boolean;
  nowMs: number;
}

/** Header and rows as text cells, kubectl's columns for the kind. */
export function tableCells(kind: KindName, objects: readonly KubeObject[], opts: TableOptions): { header: string[]; rows: string[][] } {
  const columns = tableColumns(kind);
  const keep = columns.map((c) => opts.wide || c.priority === 0);
  const nameIndex = columns.findIndex((c) => c.format === "name" && c.priority === 0);
  const header = columns.filter((_, i) => keep[i]).map((c) => c.name.toUpperCase());
  const rows = objects.map((obj) => {
    const cells = tableRow(kind, obj, opts.nowMs).map(cellText);
    if (opts.withKind && nameIndex >= 0) cells[nameIndex] = `${kindRef(kind)}/${cells[nameIndex]}`;
    const row = cells.filter((_, i) => keep[i]);
    return opts.withNamespace ? [obj.metadata.namespace ?? "", ...row] : row;
  });
  return { header: opts.withNamespace ? ["NAMESPACE", ...header] : header, rows };
}

/** Column widths for a header and rows. */
export function columnWidths(lines: readonly string[][]): number[] {
  const widths: number[] = [];
  for (const line of lines) line.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return widths;
}

/** One aligned line; the last column is not padded (as tabwriter does). */
export function alignLine(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? c.length))).join("   ");
}

/** The whole table as text lines. */
export function renderTable(header: string[], rows: string[][], colour = false): string[] {
  const widths = columnWidths([header, ...rows]);
  const head = alignLine(header, widths);
  return [colour ? `\x1b[1m${head}\x1b[0m` : head, ...rows.map((r) => alignLine(r, widths))];
}

/** kubectl's List wrapper for -o yaml/json of several objects. */
export function listOf(items: readonly KubeObject[]): Record<string, unknown> {
  return { apiVersion: "v1", items, kind: "List", metadata: { resourceVersion: "" } };
}

export function formatObject(obj: unknown, format: "yaml" | "json"): string {
  return format === "json" ? JSON.stringify(obj, null, 4) + "\n" : stringify(obj, { lineWidth: 0 });
}

export function nameLine(kind: KindName, obj: KubeObject): string {
  return `${kindRef(kind)}/${obj.metadata.name ?? ""}`;
}
