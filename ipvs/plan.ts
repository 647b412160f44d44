// The pure planner: Services + Endpoints + facts about this node -> the
// virtual servers this node should have, and the VIPs its dummy interface
// must hold. No I/O; the applier (IPVS or nftables) does the effects.

import type { Endpoints, Service, ServicePort } from "../core/resources/service.ts";
import { compareAddresses, sortVirtualServers, virtualServerKey, type L4Protocol, type RealServer, type VirtualServer } from "./virtual-server.ts";

/** Kubernetes' default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_AFFINITY_SECONDS = 10800;

export interface NodeFacts {
  name: string;
  /** This node's own IPs: NodePort and LoadBalancer traffic arrives on these. */
  addresses: string[];
}

export interface PlanInput {
  services: Service[];
  endpoints: Endpoints[];
  node: NodeFacts;
  /** The cluster's pod CIDR; the planner does not need it, the nftables plan does. */
  podCidr?: string;
  scheduler?: string;
}

/**
 * One virtual server per (cluster IP, port); for NodePort and LoadBalancer
 * services also one per (node address, nodePort); for LoadBalancer services
 * one per (node address listed in status.loadBalancer.ingress, port), which is
 * how K3s-style "node addresses as ingress" is served. Real servers are the
 * ready endpoint addresses at the port the Endpoints resolved for that
 * service port (matched by name). externalTrafficPolicy Local keeps only this
 * node's endpoints on the node-facing entries. Headless and ExternalName
 * services get nothing.
 */
export function planVirtualServers(input: PlanInput): VirtualServer[] {
  const scheduler = input.scheduler ?? "rr";
  const endpointsByKey = new Map(input.endpoints.map((e) => [`${e.metadata.namespace ?? ""}/${e.metadata.name ?? ""}`, e]));
  const out = new Map<string, VirtualServer>();
  const add = (vs: VirtualServer) => {
    // The API refuses duplicate cluster IPs and node ports; if two services
    // still collide, the first (in input order) keeps the address.
    const key = virtualServerKey(vs);
    if (!out.has(key)) out.set(key, vs);
  };

  for (const svc of input.services) {
    const spec = svc.spec;
    if (spec.type === "ExternalName") continue;
    const clusterIP = spec.clusterIP;
    if (!clusterIP || clusterIP === "None") continue;
    const ep = endpointsByKey.get(`${svc.metadata.namespace ?? ""}/${svc.metadata.name ?? ""}`);
    const persistent = spec.sessionAffinity === "ClientIP" ? affinitySeconds(spec.sessionAffinityConfig) : undefined;
    const local = spec.externalTrafficPolicy === "Local";
    const nodeFacing = spec.type === "NodePort" || spec.type === "LoadBalancer";
    const ingressIps = new Set((svc.status.loadBalancer.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : [])));

    for (const port of spec.ports ?? []) {
      const protocol = l4(port.protocol);
      if (!protocol) continue;
      const all = realServersFor(ep, port);
      const onNode = local ? all.filter((r) => r.nodeName === input.node.name) : all;
      const make = (address: string, vport: number, reals: typeof all): VirtualServer => ({
        protocol,
        address,
        port: vport,
        scheduler,
        ...(persistent !== undefined ? { persistent } : {}),
        realServers: reals.map(({ address: a, port: p }) => ({ address: a, port: p, weight: 1 })),
      });
      add(make(clusterIP, port.port, all));
      if (!nodeFacing) continue;
      for (const nodeIp of input.node.addresses) {
        if (port.nodePort) add(make(nodeIp, port.nodePort, onNode));
        if (spec.type === "LoadBalancer" && ingressIps.has(nodeIp)) add(make(nodeIp, port.port, onNode));
      }
    }
  }
  return sortVirtualServers([...out.values()]);
}

/**
 * The addresses the dummy interface tug-ipvs0 must hold so the kernel takes
 * VIP traffic as local: every virtual server address except the node's own.
 */
export function planVips(vs: VirtualServer[], node: Pick<NodeFacts, "addresses">): string[] {
  const own = new Set(node.addresses);
  return [...new Set(vs.map((v) => v.address))].filter((a) => !own.has(a)).sort(compareAddresses);
}

function l4(protocol: ServicePort["protocol"]): L4Protocol | undefined {
  // SCTP is valid in the API but neither path here programs it.
  return protocol === "TCP" ? "tcp" : protocol === "UDP" ? "udp" : undefined;
}

function affinitySeconds(config: unknown): number {
  const clientIP = isRecord(config) ? config.clientIP : undefined;
  const t = isRecord(clientIP) ? clientIP.timeoutSeconds : undefined;
  return typeof t === "number" && Number.isInteger(t) && t > 0 ? t : DEFAULT_AFFINITY_SECONDS;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

type PlannedReal = Omit<RealServer, "weight"> & { nodeName?: string };

/**
 * Ready addresses at the port the Endpoints resolved for this service port.
 * A subset's port matches by name (both unnamed for a single-port service)
 * and protocol; a named targetPort may resolve differently per subset.
 */
function realServersFor(ep: Endpoints | undefined, port: ServicePort): PlannedReal[] {
  const seen = new Map<string, PlannedReal>();
  for (const subset of ep?.subsets ?? []) {
    const match = (subset.ports ?? []).find((p) => (p.name ?? "") === (port.name ?? "") && p.protocol === port.protocol);
    if (!match) continue;
    for (const a of subset.addresses ?? []) {
      const key = `${a.ip}:${match.port}`;
      if (!seen.has(key)) seen.set(key, { address: a.ip, port: match.port, ...(a.nodeName ? { nodeName: a.nodeName } : {}) });
    }
  }
  return [...seen.values()];
}
