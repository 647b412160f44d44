// `as=Table` content negotiation: kubectl get asks for a meta.k8s.io Table
// (Accept: application/json;as=Table;v=v1;g=meta.k8s.io, ...) and prints the
// server's columns as they come. Lists, single objects and watch events each
// become a Table; the columns and cells are core/printers/table.ts's, so
// kubectl and `tug get` print the same thing.

import { tableColumns, tableRow } from "../core/printers/table.ts";
import type { KindName } from "../core/resources/kinds.ts";
import type { KubeObject } from "../core/resources/object.ts";
import { TugError } from "../core/errors.ts";

/** The Table apiVersion the client asked for, or undefined when it wants plain objects. */
export type TableVersion = "meta.k8s.io/v1" | "meta.k8s.io/v1beta1";

/** What each row carries in `object` (the includeObject parameter). */
export type IncludeObject = "None" | "Metadata" | "Object";

/**
 * The first acceptable media type of the Accept header decides, as in
 * kube-apiserver: a Table of a version we serve, or else plain JSON.
 */
export function negotiateTable(accept: string | undefined): TableVersion | undefined {
  if (!accept) return undefined;
  for (const clause of accept.split(",")) {
    const [type = "", ...params] = clause.split(";").map((s) => s.trim());
    const p = new Map(params.map((kv) => [kv.slice(0, kv.indexOf("=")).trim(), kv.slice(kv.indexOf("=") + 1).trim()] as const));
    if (p.get("as") !== "Table") {
      // A plain type we serve ends the search: the client prefers it.
      if (type === "application/json" || type === "*/*" || type === "application/*") return undefined;
      continue;
    }
    if (type !== "application/json" || p.get("g") !== "meta.k8s.io") continue;
    if (p.get("v") === "v1") return "meta.k8s.io/v1";
    if (p.get("v") === "v1beta1") return "meta.k8s.io/v1beta1";
  }
  return undefined;
}

export function includeObjectParam(raw: string | undefined): IncludeObject {
  if (raw === undefined || raw === "" || raw === "Metadata") return "Metadata";
  if (raw === "None" || raw === "Object") return raw;
  throw new TugError("BadRequest", `includeObject: must be None, Metadata or Object, not "${raw}"`);
}

function rowObject(obj: KubeObject, include: IncludeObject): unknown {
  if (include === "None") return undefined;
  if (include === "Object") return obj;
  // Without the metadata kubectl cannot print NAMESPACE (-A), --show-labels or -L.
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata };
}

export interface TableOptions {
  version: TableVersion;
  include: IncludeObject;
  nowMs: number;
  /** Column definitions are sent once per watch, on the first event (kubectl keeps them). */
  withColumns?: boolean;
}

export function tableOf(kind: KindName, objects: readonly KubeObject[], resourceVersion: string | undefined, o: TableOptions) {
  return {
    kind: "Table",
    apiVersion: o.version,
    metadata: resourceVersion === undefined ? {} : { resourceVersion },
    columnDefinitions: o.withColumns === false ? null : tableColumns(kind),
    rows: objects.map((obj) => {
      const object = rowObject(obj, o.include);
      return { cells: tableRow(kind, obj, o.nowMs), ...(object === undefined ? {} : { object }) };
    }),
  };
}

/**
 * Turns each watch event's object into a one-row Table; ERROR and BOOKMARK
 * objects pass unchanged. The first row event carries the column definitions.
 */
export function tableWatchEncoder(kind: KindName, version: TableVersion, include: IncludeObject): (type: string, object: KubeObject) => unknown {
  let first = true;
  return (type, object) => {
    if (type === "ERROR" || type === "BOOKMARK") return object;
    const table = tableOf(kind, [object], object.metadata.resourceVersion, { version, include, nowMs: Date.now(), withColumns: first });
    first = false;
    return table;
  };
}
