// The fallback for kernels without IP_VS: the same virtual servers as table
// `ip tug-svc`, either whole (one `nft -f` script that replaces the table in
// a single transaction) or as the difference between two plans (one smaller
// transaction that rewrites only the chains and elements that changed).
// Shape follows kube-proxy's nftables mode: the verdict map `service-ips`
// dispatches (daddr, proto, dport) to a chain per virtual server, which picks
// a chain per real server with numgen (or jhash of the client address for
// session affinity) and DNATs there; packets that need SNAT get a mark on the
// DNAT path and are masqueraded in postrouting. Virtual servers without real
// servers sit in the set `no-endpoint-services` and are rejected in filter
// hooks, since nat chains cannot reject.

import type { VirtualServer } from "./virtual-server.ts";
import { sortVirtualServers } from "./virtual-server.ts";

/** Packet-mark bit for "masquerade me" (the bit kube-proxy uses for the same job). */
export const MASQUERADE_MARK = 0x4000;

export interface NftPlanOptions {
  table?: string;
  /**
   * The cluster's pod CIDR: traffic from inside it to a cluster IP keeps its
   * source address. Without it every service connection is masqueraded, which always works.
   */
  podCidr?: string;
  /**
   * The node's own addresses (virtual servers of NodePort and LoadBalancer
   * services). Every connection to them is masqueraded, pods included: the
   * endpoint may be on another node, and its reply to a pod would go straight
   * to that pod instead of back through this node's un-DNAT.
   */
  nodeAddresses?: string[];
}

/** The variable part of the table: what a plan decides and an update compares. */
export interface NftTable {
  name: string;
  /** `service-ips` elements: "addr . proto . port" -> the chain its verdict goes to. */
  services: Map<string, string>;
  /** `no-endpoint-services` elements: "addr . proto . port". */
  noEndpoints: string[];
  /** Chains per virtual server and per real server, with their rules. */
  chains: Map<string, string[]>;
}

const MARK = `0x${MASQUERADE_MARK.toString(16)}`;
const SET_MARK = `meta mark set meta mark | ${MARK}`;
const TUPLE = "ip daddr . meta l4proto . th dport";
const TUPLE_TYPE = "ipv4_addr . inet_proto . inet_service";

/** Chain names carry the addresses, so a real server keeps its chain while others come and go. */
const svcChain = (v: VirtualServer) => `svc-${v.protocol}-${v.address}-${v.port}`;
const epChain = (v: VirtualServer, r: { address: string; port: number }) => `${svcChain(v)}-ep-${r.address}-${r.port}`;
const element = (v: VirtualServer) => `${v.address} . ${v.protocol} . ${v.port}`;

export function planNftTable(vs: VirtualServer[], options: NftPlanOptions = {}): NftTable {
  const nodeFacing = new Set(options.nodeAddresses ?? []);
  const table: NftTable = { name: options.table ?? "tug-svc", services: new Map(), noEndpoints: [], chains: new Map() };
  // The table is `ip`: an IPv6 address makes nft fail the whole transaction,
  // and a name that is no address at all makes nft resolve it through DNS.
  for (const v of sortVirtualServers(vs.filter((v) => isIpv4(v.address)))) {
    const reals = v.realServers.filter((r) => r.weight > 0 && isIpv4(r.address));
    if (reals.length === 0) {
      table.noEndpoints.push(element(v));
      continue;
    }
    table.services.set(element(v), svcChain(v));
    // A real server of weight w takes w slots, so weights mean what they do in IPVS.
    const slots = reals.flatMap((r) => Array.from({ length: r.weight }, () => epChain(v, r)));
    const pick = v.persistent !== undefined ? "jhash ip saddr" : "numgen random";
    const mark = nodeFacing.has(v.address) || !options.podCidr ? SET_MARK : `ip saddr != ${options.podCidr} ${SET_MARK}`;
    table.chains.set(svcChain(v), [mark, `${pick} mod ${slots.length} vmap { ${slots.map((c, i) => `${i} : goto ${c}`).join(", ")} }`]);
    for (const r of reals) {
      // Hairpin: a pod reaching itself through the service must be SNATed or
      // its reply would skip the conntrack entry that undoes the DNAT.
      table.chains.set(epChain(v, r), [`ip saddr ${r.address} ${SET_MARK}`, `meta l4proto ${v.protocol} dnat to ${r.address}:${r.port}`]);
    }
  }
  return table;
}

/** The whole table as one `nft -f` script that creates or replaces it atomically. */
export function renderNftTable(t: NftTable): string {
  const services = [...t.services].map(([e, c]) => `${e} : goto ${c}`);
  const parts = [
    block("map service-ips", [`type ${TUPLE_TYPE} : verdict`, ...elements(services)]),
    block("set no-endpoint-services", [`type ${TUPLE_TYPE}`, ...elements(t.noEndpoints)]),
    block("chain prerouting", ["type nat hook prerouting priority -100; policy accept;", "jump services"]),
    block("chain output", ["type nat hook output priority -100; policy accept;", "jump services"]),
    block("chain postrouting", ["type nat hook postrouting priority 100; policy accept;", `meta mark & ${MARK} == ${MARK} masquerade`]),
    block("chain services", [`${TUPLE} vmap @service-ips`]),
    block("chain filter-input", ["type filter hook input priority -1; policy accept;", "jump no-endpoints"]),
    block("chain filter-forward", ["type filter hook forward priority -1; policy accept;", "jump no-endpoints"]),
    block("chain filter-output", ["type filter hook output priority -1; policy accept;", "jump no-endpoints"]),
    // A TCP client gets a reset, anything else "port unreachable": both fail at once instead of timing out.
    block("chain no-endpoints", [
      `meta l4proto tcp ${TUPLE} @no-endpoint-services reject with tcp reset`,
      `${TUPLE} @no-endpoint-services reject with icmp port-unreachable`,
    ]),
    ...[...t.chains].map(([name, rules]) => block(`chain ${name}`, rules)),
  ];
  // "table" then "delete table" makes the delete safe when the table does not
  // exist yet (nft 1.0.6 has no "destroy"); nft -f applies the file atomically.
  return `table ip ${t.name}\ndelete table ip ${t.name}\ntable ip ${t.name} {\n${parts.join("\n")}\n}\n`;
}

export function planNftRuleset(vs: VirtualServer[], options: NftPlanOptions = {}): string {
  return renderNftTable(planNftTable(vs, options));
}

/**
 * The `nft -f` script that turns table `prev` (as loaded) into `next`, in one
 * transaction: new chains first (so verdicts can name them), then rules and
 * elements, then chains nothing points at any more. Empty when nothing changed.
 * Only valid while the kernel holds exactly `prev`; load the whole table otherwise.
 */
export function planNftUpdate(prev: NftTable, next: NftTable): string {
  if (prev.name !== next.name) throw new Error(`planNftUpdate: table ${prev.name} is not ${next.name}`);
  const t = `ip ${next.name}`;
  const out: string[] = [];
  const rewritten: string[] = [];
  for (const [name, rules] of next.chains) {
    const old = prev.chains.get(name);
    if (old === undefined) out.push(`add chain ${t} ${name}`);
    if (old === undefined || old.join("\n") !== rules.join("\n")) rewritten.push(name);
  }
  for (const name of rewritten) {
    if (prev.chains.has(name)) out.push(`flush chain ${t} ${name}`);
    for (const rule of next.chains.get(name)!) out.push(`add rule ${t} ${name} ${rule}`);
  }
  for (const [e, chain] of prev.services) {
    if (next.services.get(e) !== chain) out.push(`delete element ${t} service-ips { ${e} }`);
  }
  for (const [e, chain] of next.services) {
    if (prev.services.get(e) !== chain) out.push(`add element ${t} service-ips { ${e} : goto ${chain} }`);
  }
  const [prevDead, nextDead] = [new Set(prev.noEndpoints), new Set(next.noEndpoints)];
  for (const e of prev.noEndpoints) if (!nextDead.has(e)) out.push(`delete element ${t} no-endpoint-services { ${e} }`);
  for (const e of next.noEndpoints) if (!prevDead.has(e)) out.push(`add element ${t} no-endpoint-services { ${e} }`);
  for (const name of prev.chains.keys()) {
    // Flushed first: a chain must be empty to be deleted on older kernels.
    if (!next.chains.has(name)) out.push(`flush chain ${t} ${name}`, `delete chain ${t} ${name}`);
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

function isIpv4(address: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(address);
}

function block(head: string, lines: string[]): string {
  return `\t${head} {\n${lines.map((l) => `\t\t${l}\n`).join("")}\t}`;
}

function elements(list: string[]): string[] {
  return list.length === 0 ? [] : [`elements = { ${list.join(",\n\t\t\t     ")} }`];
}
