// Cluster IPs and node ports of Services (Kubernetes' ipallocator and
// portallocator, done in admission): a Service of type ClusterIP, NodePort or
// LoadBalancer gets the lowest free address of the service CIDR (the network
// address is never handed out, nor .1, which Kubernetes keeps for the
// `kubernetes` Service), NodePort and LoadBalancer ports get the lowest free
// port of the node port range; requested values are honoured when free.
// What is taken is read from the existing Services; the registry runs the
// read, this plan and the write one at a time (ServiceAllocationGate), so two
// creates can never get the same value. Deleting a Service frees its values
// because they are no longer found on any Service.

import { TugError, type FieldCause } from "../../errors.ts";
import { child, duplicate, index, invalid } from "../../resources/field-errors.ts";
import type { KubeObject } from "../../resources/object.ts";
import type { Service, ServicePort } from "../../resources/service.ts";
import { invalidError } from "../../resources/validate.ts";

export const DEFAULT_SERVICE_CIDR = "10.43.0.0/16";
export const DEFAULT_NODE_PORT_RANGE: NodePortRange = { min: 30000, max: 32767 };

export interface NodePortRange {
  min: number;
  max: number;
}

export interface Ipv4Range {
  text: string;
  /** The network address as an unsigned 32-bit number. */
  base: number;
  size: number;
}

export function parseIpv4(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** An IPv4 CIDR with room for at least one Service (/30 or wider); BadRequest otherwise. */
export function parseServiceCidr(cidr: string): Ipv4Range {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  const addr = m ? parseIpv4(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (addr === undefined || !(prefix >= 8 && prefix <= 30)) throw new TugError("BadRequest", `service CIDR ${cidr} is not an IPv4 CIDR between /8 and /30`);
  const size = 2 ** (32 - prefix);
  const base = addr - (addr % size);
  return { text: `${formatIpv4(base)}/${prefix}`, base, size };
}

/** Values held by existing Services: cluster IP -> uid, node port -> uid. */
export interface Allocations {
  ips: Map<string, string>;
  nodePorts: Map<number, string>;
}

export function allocationsOf(services: readonly KubeObject[]): Allocations {
  const out: Allocations = { ips: new Map(), nodePorts: new Map() };
  for (const s of services) {
    const uid = s.metadata.uid ?? "";
    const spec = (s as Service).spec ?? {};
    for (const ip of [spec.clusterIP, ...(spec.clusterIPs ?? [])]) if (ip && ip !== "None") out.ips.set(ip, uid);
    for (const p of spec.ports ?? []) if (p.nodePort) out.nodePorts.set(p.nodePort, uid);
  }
  return out;
}

export interface AllocationOptions {
  cidr: Ipv4Range;
  nodePorts: NodePortRange;
  /** Held by existing Services (this one's own values, found under its uid, are its to keep). */
  used: Allocations;
  /** The stored Service, on update: an allocated cluster IP stays (update validation refuses a change). */
  current?: Service;
}

const needsClusterIP = (type: string | undefined) => type !== "ExternalName";

function needsNodePorts(svc: Service): boolean {
  const type = svc.spec.type;
  return type === "NodePort" || (type === "LoadBalancer" && svc.spec.allocateLoadBalancerNodePorts !== false);
}

/**
 * The Service with its cluster IP(s) and node ports filled in, or Invalid
 * naming each refused value; InternalError when a range is full.
 */
export function planServiceAllocation(svc: Service, opts: AllocationOptions): Service {
  // On update the body may not carry the uid; the stored object is the same Service.
  const uid = opts.current?.metadata.uid ?? svc.metadata.uid ?? "";
  const spec = { ...svc.spec };
  const causes: FieldCause[] = [];
  const takenByOther = <K>(m: Map<K, string>, k: K) => m.has(k) && m.get(k) !== uid;

  const keepsIP = opts.current?.spec.clusterIP && needsClusterIP(opts.current.spec.type);
  if (needsClusterIP(spec.type) && !keepsIP) {
    const requested = spec.clusterIP || spec.clusterIPs?.[0];
    if (requested === "None") {
      spec.clusterIP = "None";
      spec.clusterIPs = ["None"];
    } else if (requested) {
      const n = parseIpv4(requested);
      const { base, size, text } = opts.cidr;
      if (n === undefined || n <= base || n >= base + size - 1) {
        causes.push(invalid("spec.clusterIP", requested, `provided IP is not in the valid range. The range of valid IPs is ${text}`));
      } else if (takenByOther(opts.used.ips, requested)) {
        causes.push(invalid("spec.clusterIP", requested, "provided IP is already allocated"));
      }
      spec.clusterIP = requested;
      spec.clusterIPs = [requested];
    } else {
      const ip = lowestFreeIp(opts.cidr, opts.used.ips);
      if (!ip) throw new TugError("InternalError", `failed to allocate a serviceIP: range is full (${opts.cidr.text})`);
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    }
  }
  if (needsClusterIP(spec.type)) {
    spec.ipFamilies ??= ["IPv4"];
    spec.ipFamilyPolicy ??= "SingleStack";
  }

  if (needsNodePorts({ ...svc, spec }) && spec.ports) {
    const { min, max } = opts.nodePorts;
    // Ports this Service claims, by protocol: TCP and UDP of one port may share a node port, as in Kubernetes.
    const mine = new Map<number, Set<string>>();
    const claim = (n: number, protocol: string) => mine.set(n, (mine.get(n) ?? new Set()).add(protocol));
    const ports: ServicePort[] = spec.ports.map((p) => ({ ...p }));
    ports.forEach((p, i) => {
      if (!p.nodePort) return;
      const path = child(index("spec.ports", i), "nodePort");
      const protocol = p.protocol ?? "TCP";
      if (mine.get(p.nodePort)?.has(protocol)) causes.push(duplicate(path, p.nodePort));
      else if (p.nodePort < min || p.nodePort > max) {
        causes.push(invalid(path, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${min}-${max}`));
      } else if (takenByOther(opts.used.nodePorts, p.nodePort)) causes.push(invalid(path, p.nodePort, "provided port is already allocated"));
      claim(p.nodePort, protocol);
    });
    for (const p of ports) {
      if (p.nodePort) continue;
      let n = min;
      while (n <= max && (mine.has(n) || takenByOther(opts.used.nodePorts, n))) n++;
      if (n > max) throw new TugError("InternalError", `failed to allocate a nodePort: range is full (${min}-${max})`);
      p.nodePort = n;
      claim(n, p.protocol ?? "TCP");
    }
    spec.ports = ports;
  }
  if (causes.length) throw invalidError("Service", svc.metadata.name ?? "", causes);
  return { ...svc, spec };
}

function lowestFreeIp(range: Ipv4Range, used: ReadonlyMap<string, string>): string | undefined {
  // Offset 0 is the network address, 1 is the kubernetes Service's, the last is broadcast.
  for (let off = 2; off < range.size - 1; off++) {
    const ip = formatIpv4(range.base + off);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

/**
 * Runs Service writes one at a time, cluster-wide: each reads what is taken,
 * plans and writes before the next reads. Services are few, so one queue costs
 * nothing that matters.
 */
export class ServiceAllocationGate {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
