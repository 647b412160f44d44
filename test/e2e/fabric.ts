// The wire of an e2e cluster: a bridge in its own network namespace (so the
// host firewall and Docker's FORWARD policy stay out of it), one namespace
// per node with a fixed MAC on its eth0 (a rebooted node keeps its ARP
// entries valid elsewhere), and a host leg at .1 for the test's API calls and
// traffic "from outside". Links are cut and healed on the fabric side, as
// pulling a cable would: the node keeps its addresses and routes.

import { existsSync } from "node:fs";

export interface Sh {
  code: number;
  out: string;
  err: string;
}

export async function sh(cmd: string[], opts: { timeoutMs?: number } = {}): Promise<Sh> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", timeout: opts.timeoutMs ?? 60_000 });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code: await p.exited, out, err };
}

export async function must(cmd: string[]): Promise<string> {
  const r = await sh(cmd);
  if (r.code !== 0) throw new Error(`${cmd.join(" ")}: ${r.err.trim() || `exit ${r.code}`}`);
  return r.out;
}

export interface FabricNode {
  /** Network namespace of the node (a name under /var/run/netns). */
  netns: string;
  ip: string;
  mac: string;
  /** The node's cable: the veth end on the bridge, inside the fabric namespace. */
  port: string;
}

export class Fabric {
  readonly ns: string;
  readonly hostLeg: string;
  readonly gateway: string;
  readonly nodes: FabricNode[];

  constructor(
    readonly runId: string,
    subnetOctet: number,
    nodeCount: number,
  ) {
    this.ns = `e2f-${runId}`;
    this.hostLeg = `e2h${runId}`;
    this.gateway = `198.19.${subnetOctet}.1`;
    this.nodes = Array.from({ length: nodeCount }, (_, i) => ({
      netns: `e2n${i + 1}-${runId}`,
      ip: `198.19.${subnetOctet}.${11 + i}`,
      mac: `02:e2:${runId.slice(0, 2)}:${runId.slice(2, 4)}:00:0${i + 1}`,
      port: `e2v${runId}-${i + 1}`,
    }));
  }

  async up(): Promise<void> {
    await must(["ip", "netns", "add", this.ns]);
    await must(["ip", "-n", this.ns, "link", "add", "br0", "type", "bridge"]);
    await must(["ip", "-n", this.ns, "link", "set", "br0", "up"]);
    await must(["ip", "link", "add", this.hostLeg, "type", "veth", "peer", "name", "host", "netns", this.ns]);
    await must(["ip", "-n", this.ns, "link", "set", "host", "master", "br0", "up"]);
    await must(["ip", "addr", "add", `${this.gateway}/24`, "dev", this.hostLeg]);
    await must(["ip", "link", "set", this.hostLeg, "up"]);
    for (const n of this.nodes) {
      await must(["ip", "netns", "add", n.netns]);
      await must(["ip", "link", "add", n.port, "netns", this.ns, "type", "veth", "peer", "name", "eth0", "netns", n.netns, "address", n.mac]);
      await must(["ip", "-n", this.ns, "link", "set", n.port, "master", "br0", "up"]);
      await must(["ip", "-n", n.netns, "link", "set", "lo", "up"]);
      await must(["ip", "-n", n.netns, "addr", "add", `${n.ip}/24`, "dev", "eth0"]);
      await must(["ip", "-n", n.netns, "link", "set", "eth0", "up"]);
      await must(["ip", "-n", n.netns, "route", "add", "default", "via", this.gateway]);
      // New namespaces may inherit the host's IPv4 conf: set what matters explicitly.
      await must(["nsenter", `--net=${netnsPath(n.netns)}`, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0"]);
    }
  }

  /** Pull node i's cable (0-based): its namespace keeps addresses, routes and processes. */
  cut(i: number): Promise<string> {
    return must(["ip", "-n", this.ns, "link", "set", this.node(i).port, "down"]);
  }

  heal(i: number): Promise<string> {
    return must(["ip", "-n", this.ns, "link", "set", this.node(i).port, "up"]);
  }

  node(i: number): FabricNode {
    const n = this.nodes[i];
    if (!n) throw new Error(`no node ${i + 1} in this fabric`);
    return n;
  }

  /** Deletes the namespaces (their interfaces, routes and nft tables go with them) and the host leg. */
  async down(): Promise<void> {
    for (const n of this.nodes) if (existsSync(netnsPath(n.netns))) await sh(["ip", "netns", "del", n.netns]);
    if (existsSync(netnsPath(this.ns))) await sh(["ip", "netns", "del", this.ns]);
    if ((await sh(["ip", "link", "show", this.hostLeg])).code === 0) await sh(["ip", "link", "del", this.hostLeg]);
  }

  /** What of this fabric still exists (empty after down()). */
  async leftovers(): Promise<string[]> {
    const left: string[] = [];
    for (const ns of [this.ns, ...this.nodes.map((n) => n.netns)]) if (existsSync(netnsPath(ns))) left.push(`netns ${ns}`);
    if ((await sh(["ip", "link", "show", this.hostLeg])).code === 0) left.push(`interface ${this.hostLeg}`);
    return left;
  }
}

export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

/** PIDs of the processes in a network namespace (none when it is gone). */
export async function pidsIn(netns: string): Promise<number[]> {
  if (!existsSync(netnsPath(netns))) return [];
  const r = await sh(["ip", "netns", "pids", netns]);
  return r.out.split(/\s+/).filter(Boolean).map(Number);
}
