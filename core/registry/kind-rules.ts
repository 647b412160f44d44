// Per-kind rules of the registry: what a new object's status starts as (a
// Record over every kind, so a new kind must decide) and which allocated
// values an update carries over.

import type { KindName } from "../resources/kinds.ts";
import type { KubeObject } from "../resources/object.ts";

type StatusRule = { keep: true } | { reset: () => Record<string, unknown> };

const reset = (s: Record<string, unknown> = {}): StatusRule => ({ reset: () => structuredClone(s) });

export const STATUS_ON_CREATE: Record<KindName, StatusRule> = {
  Namespace: reset({ phase: "Active" }),
  // Agents register their node with its status.
  Node: { keep: true },
  Pod: reset({ phase: "Pending" }),
  Service: reset({ loadBalancer: {} }),
  Endpoints: { keep: true },
  ConfigMap: { keep: true },
  Secret: { keep: true },
  Event: { keep: true },
  ServiceAccount: { keep: true },
  ResourceQuota: reset(),
  LimitRange: { keep: true },
  Deployment: reset(),
  ReplicaSet: reset({ replicas: 0 }),
  DaemonSet: reset({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 }),
  StatefulSet: reset({ replicas: 0, availableReplicas: 0 }),
  Job: reset(),
  CronJob: reset(),
  Role: { keep: true },
  ClusterRole: { keep: true },
  RoleBinding: { keep: true },
  ClusterRoleBinding: { keep: true },
};

interface ServicePortLike {
  port?: unknown;
  protocol?: unknown;
  nodePort?: unknown;
}

/**
 * Values the server allocated that an update may leave out: a Service keeps
 * its cluster IPs and node ports (Kubernetes does the same before validating,
 * so a PUT of the user's manifest is not refused as changing them). A type
 * change drops what the new type cannot have, as Kubernetes'
 * dropTypeDependentFields does: the cluster IP for ExternalName, node ports
 * and externalTrafficPolicy for ClusterIP and ExternalName,
 * allocateLoadBalancerNodePorts off LoadBalancer, when the update left them
 * as they were.
 */
export function carryAllocatedValues(kind: KindName, current: KubeObject, next: KubeObject): KubeObject {
  if (kind !== "Service") return next;
  type Spec = { type?: string; clusterIP?: string; clusterIPs?: string[]; ports?: ServicePortLike[]; externalTrafficPolicy?: string; allocateLoadBalancerNodePorts?: boolean };
  const cur = (current.spec ?? {}) as Spec;
  const spec = { ...((next.spec ?? {}) as Spec) };
  const type = spec.type ?? "ClusterIP";
  const samePort = (a: ServicePortLike, b: ServicePortLike) => a.port === b.port && (a.protocol ?? "TCP") === (b.protocol ?? "TCP");
  if (type === "ExternalName") {
    if (spec.clusterIP === cur.clusterIP) delete spec.clusterIP;
    if (spec.clusterIPs && cur.clusterIPs && spec.clusterIPs.join() === cur.clusterIPs.join()) delete spec.clusterIPs;
  } else {
    if (!spec.clusterIP && cur.clusterIP) spec.clusterIP = cur.clusterIP;
    if (!spec.clusterIPs?.length && cur.clusterIPs?.length) spec.clusterIPs = cur.clusterIPs;
  }
  const keepsNodePorts = type === "NodePort" || type === "LoadBalancer";
  if (!keepsNodePorts && spec.externalTrafficPolicy === cur.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  if (type !== "LoadBalancer" && spec.allocateLoadBalancerNodePorts === cur.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
  if (Array.isArray(spec.ports)) {
    spec.ports = spec.ports.map((p) => {
      const old = cur.ports?.find((o) => samePort(o, p));
      if (!keepsNodePorts) {
        if (p.nodePort === undefined || p.nodePort !== old?.nodePort) return p;
        const { nodePort: _dropped, ...rest } = p;
        return rest;
      }
      if (p.nodePort !== undefined) return p;
      return old?.nodePort !== undefined ? { ...p, nodePort: old.nodePort } : p;
    });
  }
  return { ...next, spec };
}
