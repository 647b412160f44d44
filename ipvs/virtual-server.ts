// The proxier's vocabulary: a virtual server (one IPVS service, or one DNAT
// dispatch in the nftables fallback) with its real servers, plus the one
// ordering every plan, parse and diff uses so their output is deterministic.

export type L4Protocol = "tcp" | "udp";

export interface RealServer {
  address: string;
  port: number;
  /** 0 means drained: kept for its open connections, given no new ones. */
  weight: number;
}

export interface VirtualServer {
  protocol: L4Protocol;
  address: string;
  port: number;
  /** IPVS scheduler name: rr, wrr, lc, sh, ... */
  scheduler: string;
  /** Session affinity (ipvsadm -p): seconds a client sticks to one real server. */
  persistent?: number;
  realServers: RealServer[];
}

/** Identity of a virtual server: what ipvsadm's -t/-u ADDR:PORT names. */
export function virtualServerKey(vs: Pick<VirtualServer, "protocol" | "address" | "port">): string {
  return `${vs.protocol}:${vs.address}:${vs.port}`;
}

export function realServerKey(rs: Pick<RealServer, "address" | "port">): string {
  return `${rs.address}:${rs.port}`;
}

/** Dotted quads compare numerically; anything else (IPv6) after them, as text. */
export function compareAddresses(a: string, b: string): number {
  const na = ipv4Number(a);
  const nb = ipv4Number(b);
  if (na !== undefined && nb !== undefined) return na - nb;
  if (na !== undefined) return -1;
  if (nb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function ipv4Number(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function compareRealServers(a: RealServer, b: RealServer): number {
  return compareAddresses(a.address, b.address) || a.port - b.port;
}

export function compareVirtualServers(a: VirtualServer, b: VirtualServer): number {
  return compareAddresses(a.address, b.address) || a.port - b.port || (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0);
}

/** Sorted copies: virtual servers by address, port, protocol; real servers by address, port. */
export function sortVirtualServers(list: VirtualServer[]): VirtualServer[] {
  return list.map((vs) => ({ ...vs, realServers: [...vs.realServers].sort(compareRealServers) })).sort(compareVirtualServers);
}
