// The shapes a printer produces (meta.k8s.io/v1 Table pieces), apart from the
// per-kind table so the column files and table.ts share them without a cycle.

import type { KubeObject } from "../resources/object.ts";

/** meta.k8s.io/v1 TableColumnDefinition. */
export interface ColumnDefinition {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format: string;
  description: string;
  priority: 0 | 1;
}

export type Cell = string | number | boolean;

/** One kind's columns and how to fill them; `row` returns every column (wide ones too). */
export interface KindPrinter {
  columns: readonly ColumnDefinition[];
  row(obj: KubeObject, nowMs: number): Cell[];
}
