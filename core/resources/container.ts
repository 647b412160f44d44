// The Container shape and what hangs off it: env, ports, resources, volume
// mounts, probes, lifecycle hooks and the security context, with Kubernetes'
// per-container defaults (SetDefaults_Container, _Probe, _HTTPGetAction).

import { z } from "zod";
import { IntOrString, QuantityString, ResourceList } from "./meta.ts";

export const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;
export const Protocol = z.enum(PROTOCOLS);

const KeySelector = z.looseObject({ name: z.string().optional(), key: z.string(), optional: z.boolean().optional() });

export const EnvVarSource = z.looseObject({
  configMapKeyRef: KeySelector.optional(),
  secretKeyRef: KeySelector.optional(),
  fieldRef: z.looseObject({ apiVersion: z.string().default("v1"), fieldPath: z.string() }).optional(),
  resourceFieldRef: z
    .looseObject({ containerName: z.string().optional(), resource: z.string(), divisor: QuantityString.optional() })
    .optional(),
});

export const EnvVar = z.looseObject({ name: z.string().default(""), value: z.string().optional(), valueFrom: EnvVarSource.optional() });
export type EnvVar = z.infer<typeof EnvVar>;

const SourceRef = z.looseObject({ name: z.string().optional(), optional: z.boolean().optional() });
export const EnvFromSource = z.looseObject({
  prefix: z.string().optional(),
  configMapRef: SourceRef.optional(),
  secretRef: SourceRef.optional(),
});

export const ContainerPort = z.looseObject({
  name: z.string().optional(),
  containerPort: z.int().default(0),
  hostPort: z.int().optional(),
  protocol: Protocol.default("TCP"),
  hostIP: z.string().optional(),
});
export type ContainerPort = z.infer<typeof ContainerPort>;

export const ResourceRequirements = z.looseObject({
  limits: ResourceList.optional(),
  requests: ResourceList.optional(),
});
export type ResourceRequirements = z.infer<typeof ResourceRequirements>;

export const VolumeMount = z.looseObject({
  name: z.string().default(""),
  mountPath: z.string().default(""),
  readOnly: z.boolean().optional(),
  subPath: z.string().optional(),
  subPathExpr: z.string().optional(),
  mountPropagation: z.enum(["None", "HostToContainer", "Bidirectional"]).optional(),
});

const ExecAction = z.looseObject({ command: z.array(z.string()).optional() });
const HTTPGetAction = z.looseObject({
  path: z.string().default("/"),
  port: IntOrString,
  host: z.string().optional(),
  scheme: z.enum(["HTTP", "HTTPS"]).default("HTTP"),
  httpHeaders: z.array(z.looseObject({ name: z.string(), value: z.string() })).optional(),
});
const TCPSocketAction = z.looseObject({ port: IntOrString, host: z.string().optional() });
const GRPCAction = z.looseObject({ port: z.int(), service: z.string().optional() });

/** The handler kinds a probe or hook may use; exactly one must be set. */
export const PROBE_HANDLERS = ["exec", "httpGet", "tcpSocket", "grpc"] as const;

export const Probe = z.looseObject({
  exec: ExecAction.optional(),
  httpGet: HTTPGetAction.optional(),
  tcpSocket: TCPSocketAction.optional(),
  grpc: GRPCAction.optional(),
  initialDelaySeconds: z.int().optional(),
  timeoutSeconds: z.int().default(1),
  periodSeconds: z.int().default(10),
  successThreshold: z.int().default(1),
  failureThreshold: z.int().default(3),
  terminationGracePeriodSeconds: z.int().optional(),
});
export type Probe = z.infer<typeof Probe>;

export const LIFECYCLE_HANDLERS = ["exec", "httpGet", "tcpSocket", "sleep"] as const;

const LifecycleHandler = z.looseObject({
  exec: ExecAction.optional(),
  httpGet: HTTPGetAction.optional(),
  tcpSocket: TCPSocketAction.optional(),
  sleep: z.looseObject({ seconds: z.int() }).optional(),
});

export const Lifecycle = z.looseObject({ postStart: LifecycleHandler.optional(), preStop: LifecycleHandler.optional() });

export const SecurityContext = z.looseObject({
  privileged: z.boolean().optional(),
  runAsUser: z.int().optional(),
  runAsGroup: z.int().optional(),
  runAsNonRoot: z.boolean().optional(),
  readOnlyRootFilesystem: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  capabilities: z.looseObject({ add: z.array(z.string()).optional(), drop: z.array(z.string()).optional() }).optional(),
});

export { PULL_POLICIES, defaultPullPolicy } from "./pull-policy.ts";
import { PULL_POLICIES, defaultPullPolicy } from "./pull-policy.ts";

// Like Go's zero values, a missing name or image reads as "" so that the
// semantic checks report it together with every other error.
export const Container = z
  .looseObject({
    name: z.string().default(""),
    image: z.string().default(""),
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
    workingDir: z.string().optional(),
    env: z.array(EnvVar).optional(),
    envFrom: z.array(EnvFromSource).optional(),
    ports: z.array(ContainerPort).optional(),
    resources: ResourceRequirements.prefault({}),
    volumeMounts: z.array(VolumeMount).optional(),
    livenessProbe: Probe.optional(),
    readinessProbe: Probe.optional(),
    startupProbe: Probe.optional(),
    lifecycle: Lifecycle.optional(),
    terminationMessagePath: z.string().default("/dev/termination-log"),
    terminationMessagePolicy: z.enum(["File", "FallbackToLogsOnError"]).default("File"),
    imagePullPolicy: z.enum(PULL_POLICIES).optional(),
    securityContext: SecurityContext.optional(),
    restartPolicy: z.enum(["Always"]).optional(),
    stdin: z.boolean().optional(),
    stdinOnce: z.boolean().optional(),
    tty: z.boolean().optional(),
  })
  .overwrite((c) => {
    c.imagePullPolicy ??= defaultPullPolicy(c.image);
    return c;
  });
export type Container = z.infer<typeof Container>;
