// The one table from kind name to its zod schema. `KindObjects` names the
// parsed type of each kind, so code holding a KindName can get a typed object.

import type { z } from "zod";
import { DaemonSet, Deployment, ReplicaSet, StatefulSet } from "./apps.ts";
import { CronJob, Job } from "./batch.ts";
import { Event, Namespace, Node, ServiceAccount } from "./cluster.ts";
import { ConfigMap, Secret } from "./config.ts";
import type { KindName } from "./kinds.ts";
import { Pod } from "./pod.ts";
import { LimitRange, ResourceQuota } from "./policy.ts";
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "./rbac.ts";
import { Endpoints, Service } from "./service.ts";

export interface KindObjects {
  Namespace: Namespace;
  Node: Node;
  Pod: Pod;
  Service: Service;
  Endpoints: Endpoints;
  ConfigMap: ConfigMap;
  Secret: Secret;
  Event: Event;
  ServiceAccount: ServiceAccount;
  ResourceQuota: ResourceQuota;
  LimitRange: LimitRange;
  Deployment: Deployment;
  ReplicaSet: ReplicaSet;
  DaemonSet: DaemonSet;
  StatefulSet: StatefulSet;
  Job: Job;
  CronJob: CronJob;
  Role: Role;
  ClusterRole: ClusterRole;
  RoleBinding: RoleBinding;
  ClusterRoleBinding: ClusterRoleBinding;
}

export const SCHEMAS: { readonly [K in KindName]: z.ZodType<KindObjects[K]> } = {
  Namespace,
  Node,
  Pod,
  Service,
  Endpoints,
  ConfigMap,
  Secret,
  Event,
  ServiceAccount,
  ResourceQuota,
  LimitRange,
  Deployment,
  ReplicaSet,
  DaemonSet,
  StatefulSet,
  Job,
  CronJob,
  Role,
  ClusterRole,
  RoleBinding,
  ClusterRoleBinding,
};
