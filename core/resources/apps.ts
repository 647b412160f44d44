// apps/v1 workloads: Deployment, ReplicaSet, DaemonSet and StatefulSet, with
// the defaults of Kubernetes' apps/v1 SetDefaults_* functions. kubectl's
// `rollout status` needs the RollingUpdate strategies filled in.

import { z } from "zod";
import { Condition, IntOrString, LabelSelector, ObjectMeta, orEmpty, typeMeta } from "./meta.ts";
import { PodTemplateSpec } from "./pod.ts";

const WorkloadStatusFields = {
  observedGeneration: z.int().optional(),
  replicas: z.int().optional(),
  readyReplicas: z.int().optional(),
  availableReplicas: z.int().optional(),
  updatedReplicas: z.int().optional(),
  collisionCount: z.int().optional(),
  conditions: z.array(Condition).optional(),
};

export const DeploymentStrategy = z
  .looseObject({
    type: z.enum(["Recreate", "RollingUpdate"]).default("RollingUpdate"),
    rollingUpdate: z
      .looseObject({ maxUnavailable: IntOrString.default("25%"), maxSurge: IntOrString.default("25%") })
      .optional(),
  })
  .overwrite((s) => {
    if (s.type === "RollingUpdate") s.rollingUpdate ??= { maxUnavailable: "25%", maxSurge: "25%" };
    return s;
  });

export const DeploymentSpec = z.looseObject({
  replicas: z.int().default(1),
  selector: LabelSelector,
  template: orEmpty(PodTemplateSpec),
  strategy: orEmpty(DeploymentStrategy),
  minReadySeconds: z.int().optional(),
  revisionHistoryLimit: z.int().default(10),
  paused: z.boolean().optional(),
  progressDeadlineSeconds: z.int().default(600),
});
export type DeploymentSpec = z.infer<typeof DeploymentSpec>;

export const Deployment = z.looseObject({
  ...typeMeta("Deployment"),
  metadata: orEmpty(ObjectMeta),
  spec: orEmpty(DeploymentSpec),
  status: z.looseObject({ ...WorkloadStatusFields, unavailableReplicas: z.int().optional() }).prefault({}),
});
export type Deployment = z.infer<typeof Deployment>;

export const ReplicaSet = z.looseObject({
  ...typeMeta("ReplicaSet"),
  metadata: orEmpty(ObjectMeta),
  spec: orEmpty(
    z.looseObject({
      replicas: z.int().default(1),
      selector: LabelSelector,
      template: orEmpty(PodTemplateSpec),
      minReadySeconds: z.int().optional(),
    }),
  ),
  status: z.looseObject({ ...WorkloadStatusFields, fullyLabeledReplicas: z.int().optional() }).prefault({}),
});
export type ReplicaSet = z.infer<typeof ReplicaSet>;

export const DaemonSetUpdateStrategy = z
  .looseObject({
    type: z.enum(["OnDelete", "RollingUpdate"]).default("RollingUpdate"),
    rollingUpdate: z.looseObject({ maxUnavailable: IntOrString.default(1), maxSurge: IntOrString.default(0) }).optional(),
  })
  .overwrite((s) => {
    if (s.type === "RollingUpdate") s.rollingUpdate ??= { maxUnavailable: 1, maxSurge: 0 };
    return s;
  });

export const DaemonSet = z.looseObject({
  ...typeMeta("DaemonSet"),
  metadata: orEmpty(ObjectMeta),
  spec: orEmpty(
    z.looseObject({
      selector: LabelSelector,
      template: orEmpty(PodTemplateSpec),
      updateStrategy: orEmpty(DaemonSetUpdateStrategy),
      minReadySeconds: z.int().optional(),
      revisionHistoryLimit: z.int().default(10),
    }),
  ),
  status: z
    .looseObject({
      currentNumberScheduled: z.int().optional(),
      numberMisscheduled: z.int().optional(),
      desiredNumberScheduled: z.int().optional(),
      numberReady: z.int().optional(),
      observedGeneration: z.int().optional(),
      updatedNumberScheduled: z.int().optional(),
      numberAvailable: z.int().optional(),
      numberUnavailable: z.int().optional(),
      collisionCount: z.int().optional(),
      conditions: z.array(Condition).optional(),
    })
    .prefault({}),
});
export type DaemonSet = z.infer<typeof DaemonSet>;

const StatefulSetRollingUpdate = z.looseObject({ partition: z.int().default(0), maxUnavailable: IntOrString.optional() });

export const StatefulSetUpdateStrategy = z.looseObject({
  type: z.enum(["OnDelete", "RollingUpdate"]).optional(),
  rollingUpdate: StatefulSetRollingUpdate.optional(),
});

const RetentionPolicy = z.enum(["Retain", "Delete"]);

export const StatefulSetSpec = z
  .looseObject({
    replicas: z.int().default(1),
    selector: LabelSelector,
    template: orEmpty(PodTemplateSpec),
    serviceName: z.string().optional(),
    volumeClaimTemplates: z.array(z.looseObject({})).optional(),
    podManagementPolicy: z.enum(["OrderedReady", "Parallel"]).default("OrderedReady"),
    updateStrategy: StatefulSetUpdateStrategy.prefault({}),
    revisionHistoryLimit: z.int().default(10),
    minReadySeconds: z.int().optional(),
    persistentVolumeClaimRetentionPolicy: z
      .looseObject({ whenDeleted: RetentionPolicy.default("Retain"), whenScaled: RetentionPolicy.default("Retain") })
      .prefault({}),
    ordinals: z.looseObject({ start: z.int().default(0) }).optional(),
  })
  .overwrite((spec) => {
    // Kubernetes adds rollingUpdate only when it also chose the type; an
    // explicit `type: RollingUpdate` without rollingUpdate stays as written.
    const strategy = spec.updateStrategy;
    if (strategy.type === undefined) {
      strategy.type = "RollingUpdate";
      strategy.rollingUpdate ??= { partition: 0 };
    }
    return spec;
  });
export type StatefulSetSpec = z.infer<typeof StatefulSetSpec>;

export const StatefulSet = z.looseObject({
  ...typeMeta("StatefulSet"),
  metadata: orEmpty(ObjectMeta),
  spec: orEmpty(StatefulSetSpec),
  status: z
    .looseObject({
      ...WorkloadStatusFields,
      currentReplicas: z.int().optional(),
      currentRevision: z.string().optional(),
      updateRevision: z.string().optional(),
    })
    .prefault({}),
});
export type StatefulSet = z.infer<typeof StatefulSet>;
