// Cluster-level and bookkeeping kinds: Namespace, Node, Event (core/v1) and
// ServiceAccount, with the defaults Kubernetes gives them.

import { z } from "zod";
import { Condition, LocalObjectReference, ObjectMeta, ObjectReference, ResourceList, orEmpty, typeMeta } from "./meta.ts";

/** Every namespace carries its own name as a label, so namespaceSelectors can pick it. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

export const Namespace = z
  .looseObject({
    ...typeMeta("Namespace"),
    metadata: orEmpty(ObjectMeta),
    spec: z.looseObject({ finalizers: z.array(z.string()).default(() => ["kubernetes"]) }).prefault({}),
    status: z
      .looseObject({ phase: z.enum(["Active", "Terminating"]).default("Active"), conditions: z.array(Condition).optional() })
      .prefault({}),
  })
  .overwrite((ns) => {
    const name = ns.metadata.name;
    if (name) ns.metadata.labels = { ...ns.metadata.labels, [NAMESPACE_NAME_LABEL]: name };
    return ns;
  });
export type Namespace = z.infer<typeof Namespace>;

export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

export const Taint = z.looseObject({
  key: z.string(),
  value: z.string().optional(),
  effect: z.enum(TAINT_EFFECTS),
  timeAdded: z.string().optional(),
});
export type Taint = z.infer<typeof Taint>;

export const NodeAddress = z.looseObject({ type: z.string(), address: z.string() });

export const NodeSystemInfo = z.looseObject({
  machineID: z.string().optional(),
  systemUUID: z.string().optional(),
  bootID: z.string().optional(),
  kernelVersion: z.string().optional(),
  osImage: z.string().optional(),
  containerRuntimeVersion: z.string().optional(),
  kubeletVersion: z.string().optional(),
  kubeProxyVersion: z.string().optional(),
  operatingSystem: z.string().optional(),
  architecture: z.string().optional(),
});

export const NodeStatus = z
  .looseObject({
    capacity: ResourceList.optional(),
    allocatable: ResourceList.optional(),
    phase: z.string().optional(),
    conditions: z.array(Condition).optional(),
    addresses: z.array(NodeAddress).optional(),
    daemonEndpoints: z.looseObject({ kubeletEndpoint: z.looseObject({ Port: z.int() }).optional() }).optional(),
    nodeInfo: NodeSystemInfo.optional(),
    images: z.array(z.looseObject({ names: z.array(z.string()).optional(), sizeBytes: z.int().optional() })).optional(),
    volumesInUse: z.array(z.string()).optional(),
    volumesAttached: z.array(z.looseObject({})).optional(),
  })
  .overwrite((status) => {
    // Allocatable defaults to capacity (SetDefaults_NodeStatus).
    if (status.allocatable === undefined && status.capacity !== undefined) status.allocatable = { ...status.capacity };
    return status;
  });
export type NodeStatus = z.infer<typeof NodeStatus>;

export const Node = z.looseObject({
  ...typeMeta("Node"),
  metadata: orEmpty(ObjectMeta),
  spec: z
    .looseObject({
      podCIDR: z.string().optional(),
      podCIDRs: z.array(z.string()).optional(),
      providerID: z.string().optional(),
      unschedulable: z.boolean().optional(),
      taints: z.array(Taint).optional(),
      externalID: z.string().optional(),
    })
    .prefault({}),
  status: NodeStatus.prefault({}),
});
export type Node = z.infer<typeof Node>;

export const EVENT_TYPES = ["Normal", "Warning"] as const;

export const Event = z.looseObject({
  ...typeMeta("Event"),
  metadata: orEmpty(ObjectMeta),
  involvedObject: ObjectReference,
  reason: z.string().optional(),
  message: z.string().optional(),
  source: z.looseObject({ component: z.string().optional(), host: z.string().optional() }).optional(),
  firstTimestamp: z.string().optional(),
  lastTimestamp: z.string().optional(),
  count: z.int().optional(),
  type: z.string().optional(),
  eventTime: z.string().optional(),
  series: z.looseObject({ count: z.int().optional(), lastObservedTime: z.string().optional() }).optional(),
  action: z.string().optional(),
  related: ObjectReference.optional(),
  reportingComponent: z.string().optional(),
  reportingInstance: z.string().optional(),
});
export type Event = z.infer<typeof Event>;

export const ServiceAccount = z.looseObject({
  ...typeMeta("ServiceAccount"),
  metadata: orEmpty(ObjectMeta),
  secrets: z.array(ObjectReference).optional(),
  imagePullSecrets: z.array(LocalObjectReference).optional(),
  automountServiceAccountToken: z.boolean().optional(),
});
export type ServiceAccount = z.infer<typeof ServiceAccount>;
