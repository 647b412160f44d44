// The fallback for kernels without IP_VS: the same virtual servers as one
// `nft -f` script that replaces table `ip tug-svc` in a single transaction.
// Shape follows kube-proxy's nftables mode: a verdict map dispatches
// (daddr, proto, dport) to a chain per virtual server, which picks a chain
// per real server with numgen (or jhash of the client address for session
// affinity) and DNATs there; packets that need SNAT get a mark in the DNAT
// path and are masqueraded in postrouting. Virtual servers without real
// servers are rejected in filter hooks, since nat chains cannot reject.

import type { VirtualServer } from "./virtual-server.ts";
import { sortVirtualServers } from "./virtual-server.ts";

/** Packet-mark bit for "masquerade me" (the bit kube-proxy uses for the same job). */
export const MASQUERADE_MARK = 0x4000;

export interface NftPlanOptions {
  table?: string;
  /**
   * The cluster's pod CIDR: traffic from inside it keeps its source address.
   * Without it every service connection is masqueraded, which always works.
   */
  podCidr?: string;
}

export function planNftRuleset(vs: VirtualServer[], options: NftPlanOptions = {}): string {
  const table = options.table ?? "tug-svc";
  const mark = `0x${MASQUERADE_MARK.toString(16)}`;
  const setMark = `meta mark set meta mark | ${mark}`;
  const sorted = sortVirtualServers(vs);
  const live = sorted.filter((v) => v.realServers.some((r) => r.weight > 0));
  const dead = sorted.filter((v) => !v.realServers.some((r) => r.weight > 0));
  const name = (v: VirtualServer) => `svc-${v.protocol}-${v.address}-${v.port}`;

  const chains: string[] = [
    chain("prerouting", ["type nat hook prerouting priority -100; policy accept;", "jump services"]),
    chain("output", ["type nat hook output priority -100; policy accept;", "jump services"]),
    chain("postrouting", ["type nat hook postrouting priority 100; policy accept;", `meta mark & ${mark} == ${mark} masquerade`]),
    chain("services", live.length === 0 ? [] : [`ip daddr . meta l4proto . th dport vmap { ${live.map((v) => `${v.address} . ${v.protocol} . ${v.port} : goto ${name(v)}`).join(", ")} }`]),
  ];
  for (const v of live) {
    const reals = v.realServers.filter((r) => r.weight > 0);
    // A real server of weight w takes w slots, so weights mean what they do in IPVS.
    const slots = reals.flatMap((_, i) => Array.from({ length: reals[i]!.weight }, () => `${name(v)}-${i}`));
    const pick = v.persistent !== undefined ? "jhash ip saddr" : "numgen random";
    chains.push(
      chain(name(v), [
        options.podCidr ? `ip saddr != ${options.podCidr} ${setMark}` : setMark,
        `${pick} mod ${slots.length} vmap { ${slots.map((c, i) => `${i} : goto ${c}`).join(", ")} }`,
      ]),
    );
    reals.forEach((r, i) => {
      // Hairpin: a pod reaching itself through the service must be SNATed or
      // its reply would skip the conntrack entry that undoes the DNAT.
      chains.push(chain(`${name(v)}-${i}`, [`ip saddr ${r.address} ${setMark}`, `meta l4proto ${v.protocol} dnat to ${r.address}:${r.port}`]));
    });
  }
  chains.push(
    chain("filter-input", ["type filter hook input priority -1; policy accept;", "jump no-endpoints"]),
    chain("filter-forward", ["type filter hook forward priority -1; policy accept;", "jump no-endpoints"]),
    chain("filter-output", ["type filter hook output priority -1; policy accept;", "jump no-endpoints"]),
    chain(
      "no-endpoints",
      dead.map((v) => `ip daddr ${v.address} ${v.protocol} dport ${v.port} ${v.protocol === "tcp" ? "reject with tcp reset" : "reject with icmp port-unreachable"}`),
    ),
  );
  // "table" then "delete table" makes the delete safe when the table does not
  // exist yet; nft -f applies the whole file atomically.
  return `table ip ${table}\ndelete table ip ${table}\ntable ip ${table} {\n${chains.join("\n")}\n}\n`;
}

function chain(name: string, lines: string[]): string {
  return `\tchain ${name} {\n${lines.map((l) => `\t\t${l}\n`).join("")}\t}`;
}
