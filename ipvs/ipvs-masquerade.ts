// The nftables half of the IPVS dataplane: which IPVS connections get their
// source address rewritten (masqueraded), as one `nft -f` script that
// replaces table `ip tug-ipvs` atomically. IPVS itself only rewrites the
// destination (NAT mode, in LOCAL_IN / LOCAL_OUT), so these are SNATed:
//   - a client outside the pod CIDR (another host, the node itself) to any
//     virtual server, or the real server would answer it directly, past the
//     node that holds the IPVS state;
//   - every client of a node address (NodePort, LoadBalancer), pods too: the
//     client may be a pod on another node, which the real server would answer
//     directly (as kube-proxy's IPVS mode and our nftables fallback do);
//   - hairpin: a pod that reaches itself through a VIP gets a packet whose
//     source is its own address, which its kernel drops as a martian.
// As in kube-proxy's IPVS mode, nat prerouting/output (before IPVS) mark the
// first packet of such a connection, and nat postrouting (after IPVS picked a
// real server) masquerades marked packets and (real server, real server,
// port) hairpin tuples. Postrouting only sees IPVS connections with the
// sysctl net.ipv4.vs.conntrack=1 (measured: with 0 nothing is SNATed).
// (`ct original ip daddr . ct original proto-dst` in postrouting would need no
// mark, but nft 1.0.6 refuses proto-dst in a concatenation.)

import type { DataplanePlan } from "./applier.ts";
import { MASQUERADE_MARK } from "./nftables-plan.ts";
import { compareAddresses, sortVirtualServers, type VirtualServer } from "./virtual-server.ts";

export const IPVS_NFT_TABLE = "tug-ipvs";

export function planIpvsMasquerade(plan: Pick<DataplanePlan, "virtualServers" | "vips" | "clusterPodCidr">, options: { table?: string } = {}): string {
  const table = options.table ?? IPVS_NFT_TABLE;
  const mark = `0x${MASQUERADE_MARK.toString(16)}`;
  const setMark = `meta mark set meta mark | ${mark}`;
  // `table ip` holds IPv4 only; the planner does not make IPv6 services yet.
  const v4 = sortVirtualServers(plan.virtualServers).filter((v) => !v.address.includes(":"));
  const vips = new Set(plan.vips);
  const element = (v: VirtualServer) => `${v.address} . ${v.protocol} . ${v.port}`;
  const clusterIps = [...new Set(v4.filter((v) => vips.has(v.address)).map(element))];
  const nodeAddresses = [...new Set(v4.filter((v) => !vips.has(v.address)).map(element))];
  const hairpin = new Map<string, { address: string; text: string }>();
  for (const v of v4) {
    for (const r of v.realServers) {
      const text = `${r.address} . ${r.address} . ${v.protocol} . ${r.port}`;
      hairpin.set(text, { address: r.address, text });
    }
  }
  const hairpinElements = [...hairpin.values()].sort((a, b) => compareAddresses(a.address, b.address) || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0)).map((h) => h.text);
  const fromOutside = plan.clusterPodCidr ? `ip saddr != ${plan.clusterPodCidr} ` : "";

  const body = [
    set("cluster-ip-services", "ipv4_addr . inet_proto . inet_service", clusterIps),
    set("node-address-services", "ipv4_addr . inet_proto . inet_service", nodeAddresses),
    set("hairpin", "ipv4_addr . ipv4_addr . inet_proto . inet_service", hairpinElements),
    chain("prerouting", ["type nat hook prerouting priority -100; policy accept;", "jump mark-for-masquerade"]),
    chain("output", ["type nat hook output priority -100; policy accept;", "jump mark-for-masquerade"]),
    chain("mark-for-masquerade", [`${fromOutside}ip daddr . meta l4proto . th dport @cluster-ip-services ${setMark}`, `ip daddr . meta l4proto . th dport @node-address-services ${setMark}`]),
    chain("postrouting", [
      "type nat hook postrouting priority 100; policy accept;",
      // Clear the bit again so it does not leak into later hooks or tunnels.
      `meta mark & ${mark} == ${mark} meta mark set meta mark ^ ${mark} masquerade`,
      "ip saddr . ip daddr . meta l4proto . th dport @hairpin masquerade",
    ]),
  ];
  // "table" then "delete table" makes the delete safe when the table does not
  // exist yet; nft -f applies the whole file in one transaction.
  return `table ip ${table}\ndelete table ip ${table}\ntable ip ${table} {\n${body.join("\n")}\n}\n`;
}

/** The script that removes the table, whether or not it exists. */
export function planIpvsMasqueradeRemoval(options: { table?: string } = {}): string {
  const table = options.table ?? IPVS_NFT_TABLE;
  return `table ip ${table}\ndelete table ip ${table}\n`;
}

function set(name: string, type: string, elements: string[]): string {
  // nft refuses "elements = { }": an empty set has no elements line.
  const lines = [`type ${type}`, ...(elements.length > 0 ? [`elements = { ${elements.join(", ")} }`] : [])];
  return `\tset ${name} {\n${lines.map((l) => `\t\t${l}\n`).join("")}\t}`;
}

function chain(name: string, lines: string[]): string {
  return `\tchain ${name} {\n${lines.map((l) => `\t\t${l}\n`).join("")}\t}`;
}
