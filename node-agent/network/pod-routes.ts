// Routes to the other nodes' pod CIDRs (host-gw): for every node the mesh
// reports with a pod CIDR and an InternalIP, `ip route replace CIDR via IP`.
// This works when the boards share one L2 network (the next hop must be
// directly reachable); boards on different networks need a tunnel, which tug
// does not provide. Our routes carry their own protocol number so the ones
// of departed nodes can be found and removed without touching anyone else's.

import type { NodeRoute } from "../../core/mesh/messages.ts";
import type { CommandRunner } from "../../ipvs/applier.ts";

/** rtnetlink protocol number marking tug's routes (any value unused by iproute2's rt_protos). */
export const ROUTE_PROTOCOL = 116;

export interface PodRoute {
  cidr: string;
  via: string;
}

export interface PodRouteSelf {
  name: string;
  podCidr?: string;
  /** This node's own addresses: a node that shares one (agents sharing a machine in tests) needs no route. */
  addresses: readonly string[];
}

/** Other nodes' pod CIDRs and their next hops, sorted by CIDR. */
export function planPodRoutes(nodes: readonly NodeRoute[], self: PodRouteSelf): PodRoute[] {
  const own = new Set(self.addresses);
  const out = new Map<string, PodRoute>();
  for (const n of nodes) {
    if (n.name === self.name || !n.podCIDR || !n.internalIP) continue;
    if (n.podCIDR === self.podCidr || own.has(n.internalIP)) continue;
    out.set(n.podCIDR, { cidr: n.podCIDR, via: n.internalIP });
  }
  return [...out.values()].sort((a, b) => (a.cidr < b.cidr ? -1 : a.cidr > b.cidr ? 1 : 0));
}

/** The diff from the routes the kernel has (ours only) to the planned ones. */
export function planRouteChanges(current: readonly PodRoute[], desired: readonly PodRoute[]): { replace: PodRoute[]; remove: PodRoute[] } {
  const have = new Map(current.map((r) => [r.cidr, r.via]));
  const want = new Set(desired.map((r) => r.cidr));
  return {
    replace: desired.filter((r) => have.get(r.cidr) !== r.via),
    remove: current.filter((r) => !want.has(r.cidr)),
  };
}

export class PodRoutes {
  constructor(private readonly run: CommandRunner) {}

  /** Makes the kernel's tug routes exactly `desired`; returns how many routes changed. */
  async apply(desired: readonly PodRoute[]): Promise<number> {
    const { replace, remove } = planRouteChanges(await this.current(), desired);
    for (const r of replace) await this.ip(["route", "replace", r.cidr, "via", r.via, "proto", String(ROUTE_PROTOCOL)]);
    for (const r of remove) await this.ip(["route", "del", r.cidr, "proto", String(ROUTE_PROTOCOL)]);
    return replace.length + remove.length;
  }

  async current(): Promise<PodRoute[]> {
    const out = await this.ip(["-j", "route", "show", "proto", String(ROUTE_PROTOCOL)]);
    const rows = JSON.parse(out || "[]") as { dst?: string; gateway?: string }[];
    return rows.flatMap((r) => (r.dst && r.gateway ? [{ cidr: r.dst, via: r.gateway }] : []));
  }

  private async ip(args: string[]): Promise<string> {
    const r = await this.run(["ip", ...args]);
    if (r.exitCode !== 0) throw new Error(`ip ${args.join(" ")} failed (exit ${r.exitCode}): ${r.stderr.trim().split("\n")[0]}`);
    return r.stdout;
  }
}
