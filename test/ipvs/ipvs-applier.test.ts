// The IPVS applier's logic against a fake node (interfaces, IPVS table, nft
// tables, sysctls) that answers its commands the way the real tools do:
// successive plans -> the commands and batches issued, and the node's state.
// The real thing runs in test/vm/ipvs-applier.test.ts.

import { beforeEach, expect, test } from "bun:test";
import type { CommandOutput, CommandRunner, DataplanePlan } from "../../ipvs/applier.ts";
import { IpvsApplier } from "../../ipvs/ipvs-applier.ts";
import { planIpvsMasquerade } from "../../ipvs/ipvs-masquerade.ts";
import { parseIpvsadmSave, writeIpvsadmRestore } from "../../ipvs/ipvsadm-format.ts";
import { planIpvsDiff } from "../../ipvs/ipvs-diff.ts";
import { virtualServerKey, type VirtualServer } from "../../ipvs/virtual-server.ts";
import { runCommand } from "../../node-agent/exec/command.ts";
import { NEED_ROOT, missing, type Need } from "../node-agent/requirements.ts";

const NEED_NFT: Need = { what: "nft", present: () => !!Bun.which("nft"), install: "apt-get install nftables" };

const ok = (stdout = ""): CommandOutput => ({ stdout, stderr: "", exitCode: 0 });
const fail = (stderr: string, exitCode = 1): CommandOutput => ({ stdout: "", stderr, exitCode });

/** A node as the applier's commands see it. Unknown commands fail loudly. */
class FakeNode {
  calls: { argv: string[]; input?: string }[] = [];
  links = new Map<string, { up: boolean; addresses: string[] }>();
  ipvs: VirtualServer[] = [];
  nftTables = new Map<string, string>();
  sysctls = new Map<string, string>();
  /** What the next `ipvsadm -R` prints on stderr (it still exits 0, as the real one does). */
  restoreStderr = "";
  /** /proc/net/ip_vs exists once ip_vs is loaded; ipvsadm loads it. */
  ipVsLoaded = false;

  run: CommandRunner = async (argv, options) => {
    this.calls.push({ argv, ...(options?.input !== undefined ? { input: options.input } : {}) });
    const input = options?.input ?? "";
    const cmd = argv.join(" ");
    if (cmd === "cat /proc/net/ip_vs") {
      if (!this.ipVsLoaded) return fail("cat: /proc/net/ip_vs: No such file or directory");
      return ok(procIpVs([...this.ipvs].reverse()));
    }
    if (argv[0] === "ipvsadm") this.ipVsLoaded = true;
    if (cmd === "ipvsadm -Sn") {
      // The kernel lists services in hash order: newest first here, the parser must not care.
      return ok([...this.ipvs].reverse().map((vs) => writeIpvsadmRestore(planIpvsDiff([], [vs]))).join(""));
    }
    if (cmd === "ipvsadm -R") {
      if (this.restoreStderr) return { stdout: "", stderr: this.restoreStderr, exitCode: 0 };
      input.trim().split("\n").forEach((line) => this.restoreLine(line));
      return ok();
    }
    if (cmd === "ipvsadm -C") return (this.ipvs = []), ok();
    if (argv[0] === "sysctl" && argv[1] === "-w") {
      for (const kv of argv.slice(2)) this.sysctls.set(kv.split("=")[0]!, kv.split("=")[1]!);
      return ok();
    }
    if (cmd === "nft -f -") {
      const name = /^table ip (\S+)$/m.exec(input)?.[1];
      if (!name) return fail("nft: no table");
      if (input.includes(`table ip ${name} {`)) this.nftTables.set(name, input);
      else this.nftTables.delete(name);
      return ok();
    }
    if (argv[0] === "nft" && argv[1] === "list" && argv[2] === "chain") {
      return this.nftTables.has(argv[4]!) ? ok("chain") : fail(`Error: No such file or directory; did you mean table '${argv[4]}' in family ip?`);
    }
    if (argv[0] === "ip") return this.ip(argv.slice(1), input);
    return fail(`${argv[0]}: command not found`, 127);
  };

  private ip(args: string[], input: string): CommandOutput {
    const cmd = args.join(" ");
    let m: RegExpExecArray | null;
    if ((m = /^-o -4 addr show dev (\S+)$/.exec(cmd))) {
      const link = this.links.get(m[1]!);
      if (!link) return fail(`Device "${m[1]}" does not exist.`);
      return ok(link.addresses.map((a, i) => `7: ${m![1]}    inet ${a} scope global ${m![1]}\\       valid_lft forever preferred_lft forever\n`).join(""));
    }
    if ((m = /^link add (\S+) type dummy$/.exec(cmd))) {
      if (this.links.has(m[1]!)) return fail("RTNETLINK answers: File exists", 2);
      this.links.set(m[1]!, { up: false, addresses: [] });
      return ok();
    }
    if ((m = /^link set (\S+) up$/.exec(cmd))) return this.links.get(m[1]!) ? ((this.links.get(m[1]!)!.up = true), ok()) : fail("Cannot find device", 1);
    if ((m = /^link del (\S+)$/.exec(cmd))) return this.links.delete(m[1]!) ? ok() : fail(`Cannot find device "${m[1]}"`, 1);
    if (cmd === "-batch -") {
      for (const line of input.trim().split("\n")) {
        const b = /^address (add|del) (\S+) dev (\S+)$/.exec(line);
        const link = b && this.links.get(b[3]!);
        if (!b || !link) return fail(`Command failed -:1: ${line}`, 1);
        if (b[1] === "add") link.addresses.push(b[2]!);
        else link.addresses = link.addresses.filter((a) => a !== b[2]);
      }
      return ok();
    }
    return fail(`ip: unknown ${cmd}`);
  }

  private restoreLine(line: string): void {
    const t = line.split(" ");
    const [addr, port] = [t[2]!.split(":")[0]!, Number(t[2]!.split(":")[1])];
    const protocol = t[1] === "-t" ? "tcp" : "udp";
    const key = virtualServerKey({ protocol, address: addr, port });
    const vs = this.ipvs.find((v) => virtualServerKey(v) === key);
    const flag = (f: string) => (t.includes(f) ? t[t.indexOf(f) + 1] : undefined);
    const real = flag("-r") ? { address: flag("-r")!.split(":")[0]!, port: Number(flag("-r")!.split(":")[1]) } : undefined;
    const p = flag("-p");
    const header = { protocol, address: addr, port, scheduler: flag("-s") ?? "wlc", ...(p ? { persistent: Number(p) } : {}) } as const;
    switch (t[0]) {
      case "-A":
        this.ipvs.push({ ...header, realServers: [] });
        return;
      case "-E":
        Object.assign(vs!, header, p ? {} : { persistent: undefined });
        if (!p) delete vs!.persistent;
        return;
      case "-D":
        this.ipvs = this.ipvs.filter((v) => v !== vs);
        return;
      case "-a":
        vs!.realServers.push({ ...real!, weight: Number(flag("-w")) });
        return;
      case "-e":
        vs!.realServers.find((r) => r.address === real!.address && r.port === real!.port)!.weight = Number(flag("-w"));
        return;
      case "-d":
        vs!.realServers = vs!.realServers.filter((r) => !(r.address === real!.address && r.port === real!.port));
        return;
    }
    throw new Error(`fake ipvsadm: ${line}`);
  }

  commands(): string[] {
    return this.calls.map((c) => c.argv.join(" "));
  }
  inputOf(cmd: string): string | undefined {
    return this.calls.find((c) => c.argv.join(" ") === cmd)?.input;
  }
}

/** The table as the kernel writes /proc/net/ip_vs, on a kernel with CONFIG_HZ=250 (affinity in ticks). */
function procIpVs(services: VirtualServer[]): string {
  const hex = (address: string, port: number) =>
    `${address.split(".").map((o) => Number(o).toString(16).padStart(2, "0")).join("").toUpperCase()}:${port.toString(16).padStart(4, "0").toUpperCase()}`;
  const lines = ["IP Virtual Server version 1.2.1 (size=4096)", "Prot LocalAddress:Port Scheduler Flags", "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn"];
  for (const vs of services) {
    lines.push(`${vs.protocol.toUpperCase()}  ${hex(vs.address, vs.port)} ${vs.scheduler} ${vs.persistent !== undefined ? `persistent ${vs.persistent * 250} FFFFFFFF` : ""}`);
    for (const r of vs.realServers) lines.push(`  -> ${hex(r.address, r.port)}      Masq    ${String(r.weight).padEnd(6)} 0          0         `);
  }
  return `${lines.join("\n")}\n`;
}

const web = (reals: string[], extra: Partial<VirtualServer> = {}): VirtualServer => ({
  protocol: "tcp",
  address: "10.43.0.10",
  port: 80,
  scheduler: "rr",
  realServers: reals.map((a) => ({ address: a, port: 8080, weight: 1 })),
  ...extra,
});
const nodePort = (reals: string[]): VirtualServer => ({ ...web(reals), address: "192.168.5.1", port: 30080, persistent: 10800 });
const plan = (virtualServers: VirtualServer[], vips = ["10.43.0.10"]): DataplanePlan => ({ virtualServers, vips, clusterPodCidr: "10.42.0.0/16" });

let node: FakeNode;
let applier: IpvsApplier;
beforeEach(() => {
  node = new FakeNode();
  applier = new IpvsApplier({ run: node.run });
});

test("first pass: sysctls, the dummy interface with the VIPs, the masquerade table, one ipvsadm -R batch", async () => {
  const p = plan([web(["10.42.1.2", "10.42.2.2"]), nodePort(["10.42.1.2"])]);
  expect(await applier.apply(p)).toEqual({ changes: 1 + 1 + 1 + 5, pending: false });
  expect(node.commands()).toEqual([
    "cat /proc/net/ip_vs",
    "ipvsadm -Sn",
    "sysctl -w net.ipv4.vs.conntrack=1 net.ipv4.vs.expire_nodest_conn=1 net.ipv4.vs.expire_quiescent_template=1",
    "ip -o -4 addr show dev tug-ipvs0",
    "ip link add tug-ipvs0 type dummy",
    "ip link set tug-ipvs0 up",
    "ip -batch -",
    "nft -f -",
    "ipvsadm -R",
  ]);
  expect(node.inputOf("ip -batch -")).toBe("address add 10.43.0.10/32 dev tug-ipvs0\n");
  expect(node.inputOf("nft -f -")).toBe(planIpvsMasquerade(p));
  expect(node.inputOf("ipvsadm -R")).toBe(`-A -t 10.43.0.10:80 -s rr
-a -t 10.43.0.10:80 -r 10.42.1.2:8080 -m -w 1
-a -t 10.43.0.10:80 -r 10.42.2.2:8080 -m -w 1
-A -t 192.168.5.1:30080 -s rr -p 10800
-a -t 192.168.5.1:30080 -r 10.42.1.2:8080 -m -w 1
`);
  expect(node.links.get("tug-ipvs0")).toEqual({ up: true, addresses: ["10.43.0.10/32"] });
  expect(parseIpvsadmSave(writeIpvsadmRestore(planIpvsDiff([], node.ipvs)))).toEqual(p.virtualServers);
  expect(node.sysctls.get("net.ipv4.vs.conntrack")).toBe("1");
});

test("an unchanged plan only reads: no ipvsadm -R, no nft load, no address change", async () => {
  const p = plan([web(["10.42.1.2", "10.42.2.2"])]);
  await applier.apply(p);
  node.calls = [];
  expect(await applier.apply(structuredClone(p))).toEqual({ changes: 0, pending: false });
  expect(node.commands()).toEqual(["cat /proc/net/ip_vs", "ip -o -4 addr show dev tug-ipvs0", "nft list chain ip tug-ipvs postrouting"]);
});

test("a removed endpoint is drained to weight 0, then deleted on the next pass; an added one is added at once", async () => {
  await applier.apply(plan([web(["10.42.1.2", "10.42.2.2"])]));
  node.calls = [];
  const next = plan([web(["10.42.2.2", "10.42.3.2"])]);
  expect(await applier.apply(next)).toEqual({ changes: 1 + 2, pending: true });
  expect(node.inputOf("ipvsadm -R")).toBe("-a -t 10.43.0.10:80 -r 10.42.3.2:8080 -m -w 1\n-e -t 10.43.0.10:80 -r 10.42.1.2:8080 -m -w 0\n");
  expect(node.ipvs[0]!.realServers.find((r) => r.address === "10.42.1.2")?.weight).toBe(0);

  node.calls = [];
  expect(await applier.apply(next)).toEqual({ changes: 1, pending: false });
  expect(node.inputOf("ipvsadm -R")).toBe("-d -t 10.43.0.10:80 -r 10.42.1.2:8080\n");
  expect(node.ipvs).toEqual(next.virtualServers);
  node.calls = [];
  expect(await applier.apply(next)).toEqual({ changes: 0, pending: false });
});

test("services: a removed one is deleted at once, a changed affinity is edited with the full header", async () => {
  await applier.apply(plan([web(["10.42.1.2"]), nodePort(["10.42.1.2"])]));
  node.calls = [];
  await applier.apply(plan([web(["10.42.1.2"], { persistent: 60 })]));
  expect(node.inputOf("ipvsadm -R")).toBe("-D -t 192.168.5.1:30080\n-E -t 10.43.0.10:80 -s rr -p 60\n");
  expect(node.ipvs).toEqual([web(["10.42.1.2"], { persistent: 60 })]);
});

test("the table comes from /proc/net/ip_vs; ipvsadm -Sn once, to learn the tick rate of its affinity timeouts", async () => {
  const p = plan([web(["10.42.1.2"]), nodePort(["10.42.1.2"])]);
  await applier.apply(p); // ip_vs not loaded yet: ipvsadm -Sn reads (and loads it)
  node.calls = [];
  expect(await applier.apply(p)).toEqual({ changes: 0, pending: false });
  expect(node.commands().filter((c) => c.startsWith("cat") || c.startsWith("ipvsadm"))).toEqual(["cat /proc/net/ip_vs", "ipvsadm -Sn"]);
  node.calls = [];
  expect(await applier.apply(p)).toEqual({ changes: 0, pending: false });
  expect(node.commands().filter((c) => c.startsWith("cat") || c.startsWith("ipvsadm"))).toEqual(["cat /proc/net/ip_vs"]);
  // A changed timeout is seen through /proc alone, in seconds.
  node.ipvs = node.ipvs.map((vs) => (vs.persistent ? { ...vs, persistent: 60 } : vs));
  node.calls = [];
  await applier.apply(p);
  expect(node.inputOf("ipvsadm -R")).toBe("-E -t 192.168.5.1:30080 -s rr -p 10800\n");
});

test("the applier owns the whole IPVS table: a virtual server someone else made is deleted", async () => {
  node.ipvs = [{ protocol: "udp", address: "10.9.9.9", port: 53, scheduler: "rr", realServers: [] }];
  await applier.apply(plan([web(["10.42.1.2"])]));
  expect(node.inputOf("ipvsadm -R")?.split("\n")[0]).toBe("-D -u 10.9.9.9:53");
  expect(node.ipvs.map(virtualServerKey)).toEqual(["tcp:10.43.0.10:80"]);
});

test("VIPs: exactly plan.vips as /32; extra and wrongly sized addresses are removed", async () => {
  node.links.set("tug-ipvs0", { up: false, addresses: ["10.43.0.10/32", "10.43.0.99/32", "10.43.0.11/24"] });
  const p = plan([web([]), { ...web([]), address: "10.43.0.11" }], ["10.43.0.10", "10.43.0.11"]);
  await applier.apply(p);
  expect(node.inputOf("ip -batch -")).toBe("address del 10.43.0.99/32 dev tug-ipvs0\naddress del 10.43.0.11/24 dev tug-ipvs0\naddress add 10.43.0.11/32 dev tug-ipvs0\n");
  expect(node.links.get("tug-ipvs0")).toEqual({ up: true, addresses: ["10.43.0.10/32", "10.43.0.11/32"] });
  expect(node.commands()).not.toContain("ip link add tug-ipvs0 type dummy");
});

test("what someone removed behind the applier's back comes back on the next pass", async () => {
  const p = plan([web(["10.42.1.2"])]);
  await applier.apply(p);
  node.links.delete("tug-ipvs0");
  node.nftTables.clear();
  node.ipvs = [];
  node.calls = [];
  expect((await applier.apply(p)).changes).toBe(1 + 1 + 1 + 2);
  expect(node.links.get("tug-ipvs0")).toEqual({ up: true, addresses: ["10.43.0.10/32"] });
  expect(node.nftTables.get("tug-ipvs")).toBe(planIpvsMasquerade(p));
  expect(node.ipvs).toEqual(p.virtualServers);
});

test("ipvsadm -R exits 0 on a failing line: any stderr throws one line naming the command", async () => {
  node.restoreStderr = "Memory allocation problem\nService not defined\n";
  const err = await applier.apply(plan([web(["10.42.1.2"])])).catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toBe("ipvsadm -R (2 ops) failed (exit 0): Memory allocation problem; Service not defined");
});

test("a failing command throws one line with its stderr", async () => {
  // A kernel without IP_VS: no /proc/net/ip_vs, and ipvsadm cannot load it.
  const run: CommandRunner = async (argv) =>
    argv[0] === "cat"
      ? fail("cat: /proc/net/ip_vs: No such file or directory")
      : argv[0] === "ipvsadm"
        ? fail("Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n", 2)
        : ok();
  const err = await new IpvsApplier({ run }).apply(plan([])).catch((e: Error) => e);
  expect((err as Error).message).toBe("ipvsadm -Sn failed (exit 2): Can't initialize ipvs: Protocol not available; Are you sure that IP Virtual Server is built in the kernel or as module?");
});

test("clear: the whole IPVS table, the dummy interface and the masquerade table go; a second clear is fine", async () => {
  const named = new IpvsApplier({ run: node.run, dummyInterface: "tug-t0", nftTable: "tug-t" });
  await named.apply(plan([web(["10.42.1.2"])]));
  expect([...node.links.keys(), ...node.nftTables.keys()]).toEqual(["tug-t0", "tug-t"]);
  await named.clear();
  await named.clear();
  expect(node.ipvs).toEqual([]);
  expect(node.links.size + node.nftTables.size).toBe(0);
  expect(node.commands().slice(-3)).toEqual(["ipvsadm -C", "ip link del tug-t0", "nft -f -"]);
});

test("masquerade ruleset: marks before IPVS (clients outside the pod CIDR, anyone to a node address), masquerades marked and hairpin after it", () => {
  expect(planIpvsMasquerade(plan([web(["10.42.2.2", "10.42.1.2"]), { ...nodePort(["10.42.1.2"]), protocol: "udp" }]))).toBe(`table ip tug-ipvs
delete table ip tug-ipvs
table ip tug-ipvs {
	set cluster-ip-services {
		type ipv4_addr . inet_proto . inet_service
		elements = { 10.43.0.10 . tcp . 80 }
	}
	set node-address-services {
		type ipv4_addr . inet_proto . inet_service
		elements = { 192.168.5.1 . udp . 30080 }
	}
	set hairpin {
		type ipv4_addr . ipv4_addr . inet_proto . inet_service
		elements = { 10.42.1.2 . 10.42.1.2 . tcp . 8080, 10.42.1.2 . 10.42.1.2 . udp . 8080, 10.42.2.2 . 10.42.2.2 . tcp . 8080 }
	}
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		jump mark-for-masquerade
	}
	chain output {
		type nat hook output priority -100; policy accept;
		jump mark-for-masquerade
	}
	chain mark-for-masquerade {
		ip saddr != 10.42.0.0/16 ip daddr . meta l4proto . th dport @cluster-ip-services meta mark set meta mark | 0x4000
		ip daddr . meta l4proto . th dport @node-address-services meta mark set meta mark | 0x4000
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		meta mark & 0x4000 == 0x4000 meta mark set meta mark ^ 0x4000 masquerade
		ip saddr . ip daddr . meta l4proto . th dport @hairpin masquerade
	}
}
`);
  // No pod CIDR: every client is masqueraded; no services: sets without elements (nft refuses "{ }").
  const empty = planIpvsMasquerade({ virtualServers: [], vips: [], clusterPodCidr: "" });
  expect(empty).toContain("\t\tip daddr . meta l4proto . th dport @cluster-ip-services meta mark set");
  expect(empty).not.toContain("elements");
});

// `nft -c` checks the script against the kernel without loading anything.
const nftSkip = missing([NEED_ROOT, NEED_NFT], "IPVS masquerade ruleset check with nft -c");
test.skipIf(nftSkip !== undefined)("nft -c accepts the masquerade ruleset, full and empty", async () => {
  const table = `tug-ipvs-check-${process.pid}`;
  for (const p of [plan([web(["10.42.2.2", "10.42.1.2"]), nodePort(["10.42.1.2"])]), { virtualServers: [], vips: [], clusterPodCidr: "" }]) {
    const r = await runCommand(["nft", "-c", "-f", "-"], { input: planIpvsMasquerade(p, { table }), timeoutMs: 10_000 });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
  }
});
