// The one definition of how each kind prints as a table: the columns kubectl
// shows (the server's Table output for `kubectl get`, `tug get`, and the
// dashboard all read these). Pure: `now` comes in as data for AGE.
//
// CONTRACT (shared by the CLI and the API while both are being built):
//   tableColumns(kind)            -> ColumnDefinition[] in kubectl's order;
//                                    priority 0 = default, 1 = only with -o wide
//   tableRow(kind, object, nowMs) -> cells, one per column, same order
// Every kind in KINDS has columns (a kind kubectl prints only as NAME AGE
// gets exactly those two).

import type { KindName } from "../resources/kinds.ts";
import type { KubeObject } from "../resources/object.ts";
import { ageSince } from "./age.ts";
import { cronJobPrinter, daemonSetPrinter, deploymentPrinter, jobPrinter, replicaSetPrinter, statefulSetPrinter } from "./columns/workloads.ts";
import { configMapPrinter, limitRangePrinter, resourceQuotaPrinter, secretPrinter, serviceAccountPrinter } from "./columns/config.ts";
import { eventPrinter, namespacePrinter, nodePrinter } from "./columns/cluster.ts";
import { endpointsPrinter, servicePrinter } from "./columns/network.ts";
import { podPrinter } from "./columns/pod.ts";
import { rolePrinter, roleBindingPrinter } from "./columns/rbac.ts";
import { AGE_COLUMN, NAME_COLUMN, nameOf } from "./fields.ts";
import type { Cell, ColumnDefinition, KindPrinter } from "./types.ts";

export type { Cell, ColumnDefinition, KindPrinter } from "./types.ts";

/** NAME AGE: what kubectl prints for a kind without its own printer. */
export const nameAgePrinter: KindPrinter = {
  columns: [NAME_COLUMN, AGE_COLUMN],
  row: (obj, nowMs) => [nameOf(obj), ageSince(obj.metadata.creationTimestamp, nowMs)],
};

const PRINTERS: Record<KindName, KindPrinter> = {
  Namespace: namespacePrinter,
  Node: nodePrinter,
  Pod: podPrinter,
  Service: servicePrinter,
  Endpoints: endpointsPrinter,
  ConfigMap: configMapPrinter,
  Secret: secretPrinter,
  Event: eventPrinter,
  ServiceAccount: serviceAccountPrinter,
  ResourceQuota: resourceQuotaPrinter,
  LimitRange: limitRangePrinter,
  Deployment: deploymentPrinter,
  ReplicaSet: replicaSetPrinter,
  DaemonSet: daemonSetPrinter,
  StatefulSet: statefulSetPrinter,
  Job: jobPrinter,
  CronJob: cronJobPrinter,
  Role: rolePrinter,
  ClusterRole: rolePrinter,
  RoleBinding: roleBindingPrinter,
  ClusterRoleBinding: roleBindingPrinter,
};

export function tableColumns(kind: KindName): ColumnDefinition[] {
  return PRINTERS[kind].columns.map((c) => ({ ...c }));
}

export function tableRow(kind: KindName, object: KubeObject, nowMs: number): Cell[] {
  return PRINTERS[kind].row(object, nowMs);
}
