// ConfigMaps, Secrets, ServiceAccounts, ResourceQuotas and LimitRanges as
// kubectl prints them.

import { ageSince } from "../age.ts";
import { AGE_COLUMN, NAME_COLUMN, arr, at, col, nameOf, rec, str } from "../fields.ts";
import type { KindPrinter } from "../types.ts";

export const configMapPrinter: KindPrinter = {
  columns: [NAME_COLUMN, col("Data", { type: "integer", description: "Number of data entries" }), AGE_COLUMN],
  row(cm, nowMs) {
    return [nameOf(cm), Object.keys(rec(cm.data)).length + Object.keys(rec(cm.binaryData)).length, ageSince(cm.metadata.creationTimestamp, nowMs)];
  },
};

export const secretPrinter: KindPrinter = {
  columns: [NAME_COLUMN, col("Type", { description: "The type of the secret" }), col("Data", { type: "integer", description: "Number of data entries" }), AGE_COLUMN],
  row(s, nowMs) {
    return [nameOf(s), str(s.type) || "Opaque", Object.keys(rec(s.data)).length, ageSince(s.metadata.creationTimestamp, nowMs)];
  },
};

export const serviceAccountPrinter: KindPrinter = {
  columns: [NAME_COLUMN, col("Secrets", { type: "integer", description: "Number of secrets" }), AGE_COLUMN],
  row(sa, nowMs) {
    return [nameOf(sa), arr(sa.secrets).length, ageSince(sa.metadata.creationTimestamp, nowMs)];
  },
};

/** REQUEST and LIMIT: "resource: used/hard" for each hard limit, limits.* in LIMIT. */
function quotaColumns(quota: unknown): [string, string] {
  const hard = rec(at(quota, "spec", "hard"));
  const used = rec(at(quota, "status", "used"));
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const cell = `${name}: ${str(used[name]) || "0"}/${str(hard[name])}`;
    (name.split(".")[0] === "limits" && name.includes(".") ? limit : request).push(cell);
  }
  return [request.join(", "), limit.join(", ")];
}

export const resourceQuotaPrinter: KindPrinter = {
  columns: [NAME_COLUMN, AGE_COLUMN, col("Request", { description: "Request represents a minimum amount of cpu/memory that a container may consume." }), col("Limit", { description: "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node." })],
  row(q, nowMs) {
    return [nameOf(q), ageSince(q.metadata.creationTimestamp, nowMs), ...quotaColumns(q)];
  },
};

/** "Created At": the creation time as RFC 3339 in UTC (Go's time.RFC3339). */
export function createdAt(timestamp: unknown): string {
  const t = Date.parse(str(timestamp));
  return Number.isNaN(t) ? "" : new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export const CREATED_AT_COLUMN = col("Created At", { type: "date", description: "CreationTimestamp is a timestamp representing the server time when this object was created." });

export const limitRangePrinter: KindPrinter = {
  columns: [NAME_COLUMN, CREATED_AT_COLUMN],
  row(lr) {
    return [nameOf(lr), createdAt(lr.metadata.creationTimestamp)];
  },
};
