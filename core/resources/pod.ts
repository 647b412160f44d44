// Pod, PodSpec, PodStatus, volumes and PodTemplateSpec (reused by every
// workload). PodSpec carries the defaults Kubernetes applies to templates too;
// the Pod schema adds the ones it applies only to real Pods (SetDefaults_Pod).

import { z } from "zod";
import { Container, type ContainerPort } from "./container.ts";
import { Condition, LocalObjectReference, ObjectMeta, QuantityString, ResourceList, StringMap, orEmpty, typeMeta } from "./meta.ts";

const KeyToPath = z.looseObject({ key: z.string(), path: z.string(), mode: z.int().optional() });

/** The volume sources we model; any other source key is kept as given. */
export const VOLUME_SOURCES = ["emptyDir", "hostPath", "configMap", "secret", "persistentVolumeClaim", "projected", "downwardAPI"] as const;

export const Volume = z
  .looseObject({
    name: z.string().default(""),
    emptyDir: z.looseObject({ medium: z.string().optional(), sizeLimit: QuantityString.optional() }).optional(),
    hostPath: z.looseObject({ path: z.string(), type: z.string().default("") }).optional(),
    configMap: z
      .looseObject({ name: z.string().optional(), items: z.array(KeyToPath).optional(), defaultMode: z.int().default(0o644), optional: z.boolean().optional() })
      .optional(),
    secret: z
      .looseObject({ secretName: z.string().optional(), items: z.array(KeyToPath).optional(), defaultMode: z.int().default(0o644), optional: z.boolean().optional() })
      .optional(),
    persistentVolumeClaim: z.looseObject({ claimName: z.string(), readOnly: z.boolean().optional() }).optional(),
    projected: z.looseObject({ sources: z.array(z.looseObject({})).optional(), defaultMode: z.int().default(0o644) }).optional(),
    downwardAPI: z.looseObject({ items: z.array(z.looseObject({})).optional(), defaultMode: z.int().default(0o644) }).optional(),
  })
  .overwrite((v) => {
    // A volume with no source at all is an emptyDir (SetDefaults_Volume).
    if (Object.entries(v).every(([k, val]) => k === "name" || val === undefined)) v.emptyDir = {};
    return v;
  });
export type Volume = z.infer<typeof Volume>;

export const Toleration = z.looseObject({
  key: z.string().optional(),
  operator: z.enum(["Exists", "Equal"]).optional(),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
  tolerationSeconds: z.int().optional(),
});
export type Toleration = z.infer<typeof Toleration>;

export const RESTART_POLICIES = ["Always", "OnFailure", "Never"] as const;
export const DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"] as const;

const PodSecurityContext = z.looseObject({
  runAsUser: z.int().optional(),
  runAsGroup: z.int().optional(),
  runAsNonRoot: z.boolean().optional(),
  fsGroup: z.int().optional(),
  supplementalGroups: z.array(z.int()).optional(),
  sysctls: z.array(z.looseObject({ name: z.string(), value: z.string() })).optional(),
});

/** With host networking the host port is the container port (defaultHostNetworkPorts). */
function defaultHostNetworkPorts(containers: readonly { ports?: ContainerPort[] | undefined }[]): void {
  for (const c of containers) for (const p of c.ports ?? []) p.hostPort ??= p.containerPort;
}

export const PodSpec = z
  .looseObject({
    volumes: z.array(Volume).optional(),
    initContainers: z.array(Container).optional(),
    containers: z.array(Container).default(() => []),
    restartPolicy: z.enum(RESTART_POLICIES).default("Always"),
    terminationGracePeriodSeconds: z.int().default(30),
    activeDeadlineSeconds: z.int().optional(),
    dnsPolicy: z.enum(DNS_POLICIES).default("ClusterFirst"),
    dnsConfig: z.looseObject({}).optional(),
    nodeSelector: StringMap.optional(),
    serviceAccountName: z.string().optional(),
    serviceAccount: z.string().optional(),
    automountServiceAccountToken: z.boolean().optional(),
    nodeName: z.string().optional(),
    hostNetwork: z.boolean().optional(),
    hostPID: z.boolean().optional(),
    hostIPC: z.boolean().optional(),
    shareProcessNamespace: z.boolean().optional(),
    securityContext: PodSecurityContext.prefault({}),
    imagePullSecrets: z.array(LocalObjectReference).optional(),
    hostname: z.string().optional(),
    subdomain: z.string().optional(),
    affinity: z.looseObject({}).optional(),
    schedulerName: z.string().default("default-scheduler"),
    tolerations: z.array(Toleration).optional(),
    hostAliases: z.array(z.looseObject({ ip: z.string(), hostnames: z.array(z.string()).optional() })).optional(),
    priorityClassName: z.string().optional(),
    priority: z.int().optional(),
    readinessGates: z.array(z.looseObject({ conditionType: z.string() })).optional(),
    runtimeClassName: z.string().optional(),
    enableServiceLinks: z.boolean().optional(),
    preemptionPolicy: z.string().optional(),
    overhead: ResourceList.optional(),
    topologySpreadConstraints: z.array(z.looseObject({})).optional(),
  })
  .overwrite((spec) => {
    // serviceAccount is the deprecated alias; Kubernetes keeps both in step.
    if (spec.serviceAccountName === undefined && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
    if (spec.serviceAccount === undefined && spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
    if (spec.hostNetwork) {
      defaultHostNetworkPorts(spec.containers);
      defaultHostNetworkPorts(spec.initContainers ?? []);
    }
    return spec;
  });
export type PodSpec = z.infer<typeof PodSpec>;

export const ContainerState = z.looseObject({
  waiting: z.looseObject({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.looseObject({ startedAt: z.string().optional() }).optional(),
  terminated: z
    .looseObject({
      exitCode: z.int(),
      signal: z.int().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      startedAt: z.string().optional(),
      finishedAt: z.string().optional(),
      containerID: z.string().optional(),
    })
    .optional(),
});
export type ContainerState = z.infer<typeof ContainerState>;

export const ContainerStatus = z.looseObject({
  name: z.string(),
  state: ContainerState.optional(),
  lastState: ContainerState.optional(),
  ready: z.boolean(),
  restartCount: z.int(),
  image: z.string(),
  imageID: z.string(),
  containerID: z.string().optional(),
  started: z.boolean().optional(),
});
export type ContainerStatus = z.infer<typeof ContainerStatus>;

const PodIP = z.looseObject({ ip: z.string() });

export const POD_PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"] as const;

export const PodStatus = z.looseObject({
  phase: z.enum(POD_PHASES).optional(),
  conditions: z.array(Condition).optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  nominatedNodeName: z.string().optional(),
  hostIP: z.string().optional(),
  hostIPs: z.array(PodIP).optional(),
  podIP: z.string().optional(),
  podIPs: z.array(PodIP).optional(),
  startTime: z.string().optional(),
  initContainerStatuses: z.array(ContainerStatus).optional(),
  containerStatuses: z.array(ContainerStatus).optional(),
  ephemeralContainerStatuses: z.array(z.looseObject({})).optional(),
  qosClass: z.enum(["Guaranteed", "Burstable", "BestEffort"]).optional(),
});
export type PodStatus = z.infer<typeof PodStatus>;

export const Pod = z
  .looseObject({
    ...typeMeta("Pod"),
    metadata: orEmpty(ObjectMeta),
    spec: orEmpty(PodSpec),
    status: PodStatus.prefault({}),
  })
  .overwrite((pod) => {
    pod.spec.enableServiceLinks ??= true;
    // Requests default to limits on Pods only, not on templates (SetDefaults_Pod).
    for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
      const limits = c.resources.limits;
      if (!limits) continue;
      const requests = (c.resources.requests ??= {});
      for (const [name, q] of Object.entries(limits)) requests[name] ??= q;
    }
    return pod;
  });
export type Pod = z.infer<typeof Pod>;

export const PodTemplateSpec = z.looseObject({
  metadata: orEmpty(ObjectMeta),
  spec: orEmpty(PodSpec),
});
export type PodTemplateSpec = z.infer<typeof PodTemplateSpec>;
