// Roles and bindings as kubectl prints them: roles by creation time,
// bindings with their role and (wide) their subjects.

import { ageSince } from "../age.ts";
import { AGE_COLUMN, NAME_COLUMN, arr, at, col, nameOf, str } from "../fields.ts";
import type { KindPrinter } from "../types.ts";
import { CREATED_AT_COLUMN, createdAt } from "./config.ts";

export const rolePrinter: KindPrinter = {
  columns: [NAME_COLUMN, CREATED_AT_COLUMN],
  row(role) {
    return [nameOf(role), createdAt(role.metadata.creationTimestamp)];
  },
};

function subjects(binding: unknown, kind: string): string {
  return arr(at(binding, "subjects"))
    .filter((s) => s.kind === kind)
    .map((s) => (kind === "ServiceAccount" ? `${str(s.namespace)}:${str(s.name)}` : str(s.name)))
    .join(", ");
}

export const roleBindingPrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    col("Role", { description: "Role references the Role or ClusterRole being granted." }),
    AGE_COLUMN,
    col("Users", { priority: 1, description: "Users in the binding" }),
    col("Groups", { priority: 1, description: "Groups in the binding" }),
    col("ServiceAccounts", { priority: 1, description: "ServiceAccounts in the binding" }),
  ],
  row(b, nowMs) {
    return [
      nameOf(b),
      `${str(at(b, "roleRef", "kind"))}/${str(at(b, "roleRef", "name"))}`,
      ageSince(b.metadata.creationTimestamp, nowMs),
      subjects(b, "User"),
      subjects(b, "Group"),
      subjects(b, "ServiceAccount"),
    ];
  },
};
