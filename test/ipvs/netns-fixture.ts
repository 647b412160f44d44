// A small cluster made of network namespaces, for the nftables dataplane's
// traffic test and bench/proxy.ts. Nothing lives in the host netns: the
// "fabric" (the LAN the nodes share) is a bridge inside its own netns, so the
// host firewall and Docker's FORWARD DROP never see node traffic.
//
//   fabric netns:  br0 192.168.77.1/24 (a client on the LAN)
//   node N netns:  eth0 192.168.77.1N/24, default via .1, bridge cbr0 10.42.N.1/24,
//                  routes 10.42.M.0/24 via 192.168.77.1M (host-gw)
//   pod netns:     eth0 10.42.N.X/24 on cbr0 with hairpin on, busybox httpd :8080
//
// Every name carries a per-run id, so parallel runs do not collide; destroy()
// kills what this lab started and deletes every netns it made, also after a
// half-failed setup.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandRunner } from "../../ipvs/applier.ts";
import { runChecked, runCommand, type CommandResult } from "../../node-agent/exec/command.ts";
import type { Need } from "../node-agent/requirements.ts";

export const NEED_NFT: Need = { what: "nft", present: () => !!Bun.which("nft"), install: "apt-get install nftables" };
export const NEED_IP: Need = { what: "ip", present: () => !!Bun.which("ip"), install: "apt-get install iproute2" };
// Pod -> cluster IP -> pod on the same bridge needs bridged replies to pass conntrack.
export const NEED_BR_NETFILTER: Need = { what: "br_netfilter", present: () => existsSync("/proc/sys/net/bridge"), install: "modprobe br_netfilter" };

export const HTTP_PORT = 8080;
const LAN = "192.168.77";

export interface LabPod {
  ns: string;
  ip: string;
  /** What its httpd serves at / (one line). */
  body: string;
}

export class NetnsLab {
  readonly id = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  readonly fabric = `tugf-${this.id}`;
  private readonly namespaces: string[] = [];
  private readonly servers: Bun.Subprocess[] = [];
  private readonly nodes = new Set<number>();
  private dir: string | undefined;

  nodeNs(n: number): string {
    return `tugn${n}-${this.id}`;
  }

  nodeAddress(n: number): string {
    return `${LAN}.1${n}`;
  }

  fabricAddress(): string {
    return `${LAN}.1`;
  }

  /** Runs argv inside netns `ns`; resolves whatever the exit status. */
  exec(ns: string, argv: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    return runCommand(["ip", "netns", "exec", ns, ...argv], options);
  }

  /** A CommandRunner whose commands run inside `ns`, as the agent's would on that node. */
  runner(ns: string): CommandRunner {
    return (argv, options) => this.exec(ns, argv, options ?? {});
  }

  async addFabric(): Promise<void> {
    await this.addNs(this.fabric);
    await ip("-n", this.fabric, "link", "add", "br0", "type", "bridge");
    await ip("-n", this.fabric, "addr", "add", `${this.fabricAddress()}/24`, "dev", "br0");
    await ip("-n", this.fabric, "link", "set", "br0", "up");
  }

  /** Node n (1..9) on the fabric, with its pod bridge; call routes() once all nodes exist. */
  async addNode(n: number): Promise<string> {
    const ns = this.nodeNs(n);
    await this.addNs(ns);
    // New netns may inherit the host's IPv4 conf: set what matters explicitly.
    await runChecked(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0", "net.bridge.bridge-nf-call-iptables=1"]);
    await ip("-n", this.fabric, "link", "add", `n${n}`, "type", "veth", "peer", "name", "eth0", "netns", ns);
    await ip("-n", this.fabric, "link", "set", `n${n}`, "master", "br0", "up");
    await ip("-n", ns, "addr", "add", `${this.nodeAddress(n)}/24`, "dev", "eth0");
    await ip("-n", ns, "link", "set", "eth0", "up");
    await ip("-n", ns, "route", "add", "default", "via", this.fabricAddress());
    await ip("-n", ns, "link", "add", "cbr0", "type", "bridge");
    await ip("-n", ns, "addr", "add", `10.42.${n}.1/24`, "dev", "cbr0");
    await ip("-n", ns, "link", "set", "cbr0", "up");
    this.nodes.add(n);
    return ns;
  }

  /** Host-gw: every node routes every other node's pod CIDR to that node. */
  async routes(): Promise<void> {
    for (const n of this.nodes) {
      for (const m of this.nodes) if (m !== n) await ip("-n", this.nodeNs(n), "route", "replace", `10.42.${m}.0/24`, "via", this.nodeAddress(m));
    }
  }

  /** A pod on node n at 10.42.n.octet whose httpd serves `name`. */
  async addPod(n: number, name: string, octet: number): Promise<LabPod> {
    const node = this.nodeNs(n);
    const ns = `tugp-${this.id}-${name}`;
    const podIp = `10.42.${n}.${octet}`;
    await this.addNs(ns);
    await ip("-n", node, "link", "add", `vp-${name}`, "type", "veth", "peer", "name", "eth0", "netns", ns);
    await ip("-n", node, "link", "set", `vp-${name}`, "master", "cbr0", "up");
    // What the CNI bridge plugin's hairpinMode does: a pod may reach itself through a service.
    await ip("-n", node, "link", "set", `vp-${name}`, "type", "bridge_slave", "hairpin", "on");
    await ip("-n", ns, "addr", "add", `${podIp}/24`, "dev", "eth0");
    await ip("-n", ns, "link", "set", "eth0", "up");
    await ip("-n", ns, "route", "add", "default", "via", `10.42.${n}.1`);
    this.dir ??= mkdtempSync(join(tmpdir(), "tug-netns-lab-"));
    const www = join(this.dir, name);
    mkdirSync(www);
    writeFileSync(join(www, "index.html"), `${name}\n`);
    // `ip netns exec` execs, so the PID is httpd's own.
    this.servers.push(Bun.spawn(["ip", "netns", "exec", ns, "busybox", "httpd", "-f", "-p", String(HTTP_PORT), "-h", www], { stdout: "ignore", stderr: "ignore" }));
    const pod = { ns, ip: podIp, body: name };
    for (let i = 0; ; i++) {
      const [line] = await this.fetchMany(ns, `http://127.0.0.1:${HTTP_PORT}/`, 1);
      if (line === name) return pod;
      if (i >= 100) throw new Error(`httpd in ${ns} did not answer: ${line}`);
      await Bun.sleep(20);
    }
  }

  /**
   * `count` sequential GETs from inside `ns`, in one shell: the body of each,
   * or "FAIL <exit> <stderr>". busybox 1.35's wget -T segfaults, so timeout(1) bounds each.
   */
  async fetchMany(ns: string, url: string, count: number): Promise<string[]> {
    const script = `i=0; while [ $i -lt ${count} ]; do i=$((i+1)); out=$(timeout 2 busybox wget -q -O - "$1" 2>&1); rc=$?; if [ $rc -eq 0 ]; then echo "$out"; else echo "FAIL $rc $(echo "$out" | tr '\\n' ' ')"; fi; done`;
    const r = await this.exec(ns, ["sh", "-c", script, "sh", url], { timeoutMs: 5_000 + count * 2_500 });
    return r.stdout.split("\n").filter((l) => l !== "");
  }

  /** Ends what this lab started (by PID, then whatever is left in its own netns) and deletes its netns. */
  async destroy(): Promise<void> {
    for (const s of this.servers) s.kill("SIGKILL");
    await Promise.all(this.servers.map((s) => s.exited));
    for (const ns of [...this.namespaces].reverse()) {
      const left = await runCommand(["ip", "netns", "pids", ns]);
      for (const pid of left.stdout.split("\n").filter((l) => /^\d+$/.test(l))) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // Gone already.
        }
      }
      await runCommand(["ip", "netns", "del", ns]);
    }
    this.namespaces.length = 0;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async addNs(ns: string): Promise<void> {
    await runChecked(["ip", "netns", "add", ns]);
    this.namespaces.push(ns);
    await ip("-n", ns, "link", "set", "lo", "up");
  }
}

async function ip(...args: string[]): Promise<void> {
  await runChecked(["ip", ...args]);
}
