// The kernel's IPVS table from /proc/net/ip_vs: the whole table in one read,
// where `ipvsadm -Sn` asks the kernel once per service (in bench/proxy-ipvs.ts
// that query was most of an unchanged resync). The file exists once ip_vs is
// loaded, per network namespace, in the format of the kernel's
// ip_vs_info_seq_show:
//   TCP  0A2B000A:0050 rr [ops ][persistent SECONDS NETMASK]
//     -> 0A2A0102:1F90      Masq    1      0          0
// Addresses and ports are hex; IPv6 ones are written [full form]:PORT; the
// persistence timeout is in kernel ticks (CONFIG_HZ: 250 on Debian's kernel
// in test/vm, which userspace cannot ask for), hence `ticksPerSecond`.
// Like parseIpvsadmSave, firewall-mark (and SCTP) services are someone
// else's: skipped with their real servers. Anything else it does not
// understand throws, naming the line.

import { sortVirtualServers, type L4Protocol, type VirtualServer } from "./virtual-server.ts";

export const PROC_IP_VS = "/proc/net/ip_vs";

const PROTOCOLS: Record<string, L4Protocol | null> = { TCP: "tcp", UDP: "udp", SCTP: null, FWM: null };

export function parseProcIpVs(text: string, ticksPerSecond = 1): VirtualServer[] {
  const services: VirtualServer[] = [];
  let current: VirtualServer | null | undefined; // null: a skipped service's real servers follow
  text.split("\n").forEach((raw, i) => {
    const line = raw.trimEnd();
    if (line === "" || line.startsWith("IP Virtual Server") || line.startsWith("Prot ") || line.includes("RemoteAddress:Port")) return;
    const fail = (why: string) => new Error(`${PROC_IP_VS} line ${i + 1}: ${why}: ${line.trim()}`);
    const tokens = line.trim().split(/\s+/);
    if (tokens[0] === "->") {
      if (current === undefined) throw fail("real server before its service");
      if (current === null) return;
      const [, addrPort, , weight] = tokens;
      if (!addrPort || weight === undefined || !/^\d+$/.test(weight)) throw fail("expected -> ADDRESS:PORT FORWARD WEIGHT");
      current.realServers.push({ ...hexAddressPort(addrPort, fail), weight: Number(weight) });
      return;
    }
    const [proto, addrPort, scheduler, ...flags] = tokens;
    const protocol = PROTOCOLS[proto!];
    if (protocol === undefined) throw fail(`unknown protocol ${proto}`);
    if (protocol === null) {
      current = null;
      return;
    }
    if (!addrPort || !scheduler) throw fail("expected PROTOCOL ADDRESS:PORT SCHEDULER");
    const vs: VirtualServer = { protocol, ...hexAddressPort(addrPort, fail), scheduler, realServers: [] };
    const p = flags.indexOf("persistent");
    if (p >= 0) {
      const ticks = flags[p + 1];
      if (ticks === undefined || !/^\d+$/.test(ticks)) throw fail("persistent without a timeout");
      vs.persistent = Math.round(Number(ticks) / ticksPerSecond);
    }
    services.push(vs);
    current = vs;
  });
  return sortVirtualServers(services);
}

function hexAddressPort(text: string, fail: (why: string) => Error): { address: string; port: number } {
  const v4 = /^([0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})$/.exec(text);
  if (v4) {
    const n = parseInt(v4[1]!, 16);
    return { address: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."), port: parseInt(v4[2]!, 16) };
  }
  const v6 = /^\[([0-9A-Fa-f:]+)\]:([0-9A-Fa-f]{4})$/.exec(text);
  if (v6) {
    // The kernel writes every group in full; ipvsadm and the planner write the short form.
    const short = URL.canParse(`http://[${v6[1]}]/`) ? new URL(`http://[${v6[1]}]/`).hostname.slice(1, -1) : undefined;
    if (!short) throw fail(`bad IPv6 address ${v6[1]}`);
    return { address: short, port: parseInt(v6[2]!, 16) };
  }
  throw fail(`bad ADDRESS:PORT ${text}`);
}
