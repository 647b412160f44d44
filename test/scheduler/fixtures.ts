// Nodes and Pods for the scheduler's pure tests, shaped as admission leaves
// them (quantities canonical, schedulerName defaulted), without the store.

import type { KubeObject } from "../../core/resources/object.ts";
import { NodeInfo } from "../../core/scheduler/node-info.ts";
import { makePodInfo, type PodInfo } from "../../core/scheduler/pod-info.ts";

export interface NodeOptions {
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeral?: string;
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  unschedulable?: boolean;
  /** Ready condition status; "missing" leaves the condition out. */
  ready?: "True" | "False" | "Unknown" | "missing";
}

export function node(name: string, o: NodeOptions = {}): KubeObject {
  const allocatable: Record<string, string> = { cpu: o.cpu ?? "4", memory: o.memory ?? "8Gi", pods: o.pods ?? "110", ...(o.extra ?? {}) };
  if (o.ephemeral) allocatable["ephemeral-storage"] = o.ephemeral;
  const ready = o.ready ?? "True";
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...(o.labels ?? {}) }, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: { capacity: allocatable, allocatable, conditions: ready === "missing" ? [] : [{ type: "Ready", status: ready }] },
  };
}

export interface ContainerOptions {
  requests?: Record<string, string>;
  ports?: { hostPort?: number; containerPort?: number; protocol?: string; hostIP?: string }[];
  restartPolicy?: "Always";
}

export interface PodOptions extends ContainerOptions {
  namespace?: string;
  containers?: ContainerOptions[];
  initContainers?: ContainerOptions[];
  overhead?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  affinity?: unknown;
  tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
  owner?: string;
  priority?: number;
  nodeName?: string;
  phase?: string;
}

function container(name: string, c: ContainerOptions): Record<string, unknown> {
  return {
    name,
    image: "busybox",
    resources: c.requests ? { requests: c.requests } : {},
    ...(c.ports ? { ports: c.ports.map((p) => ({ containerPort: p.containerPort ?? p.hostPort ?? 80, protocol: p.protocol ?? "TCP", ...p })) } : {}),
    ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}),
  };
}

export function pod(name: string, o: PodOptions = {}): KubeObject {
  const containers = (o.containers ?? [{ requests: o.requests, ports: o.ports }]).map((c, i) => container(`c${i}`, c));
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: o.namespace ?? "default",
      uid: `uid-${name}`,
      creationTimestamp: "2024-01-01T00:00:00Z",
      ...(o.owner ? { ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: o.owner, uid: `uid-${o.owner}`, controller: true }] } : {}),
    },
    spec: {
      containers,
      ...(o.initContainers ? { initContainers: o.initContainers.map((c, i) => container(`init${i}`, c)) } : {}),
      ...(o.overhead ? { overhead: o.overhead } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      schedulerName: "default-scheduler",
    },
    status: { phase: o.phase ?? "Pending" },
  };
}

export function podInfo(name: string, o: PodOptions = {}): PodInfo {
  return makePodInfo(pod(name, o));
}

/** A NodeInfo with Pods already bound to it. */
export function nodeInfo(n: KubeObject, bound: PodInfo[] = []): NodeInfo {
  const info = new NodeInfo(n.metadata.name ?? "", n);
  for (const p of bound) info.addPod(p);
  return info;
}

export const STATE = { now: Date.parse("2024-01-01T00:00:00Z") };
