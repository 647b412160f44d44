// CniNetwork against the real CNI plugins: network namespaces made with
// `ip netns add`, traffic from busybox (httpd, wget) inside them, the host's
// iptables nat table and host-local's lease files as the observed state.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runChecked, runCommand } from "../../../node-agent/exec/command.ts";
import { CniNetwork } from "../../../node-agent/network/cni.ts";
import { bridgeMasqChainName } from "../../../node-agent/network/bridge-masq.ts";
import { missing, NEED_BUSYBOX, NEED_CNI, NEED_ROOT } from "../requirements.ts";
import { eventually } from "../../support.ts";

const skip = missing([NEED_ROOT, NEED_CNI, NEED_BUSYBOX], "CNI pod networking");

const tag = `tugt${process.pid % 10000}`;
const NETWORK = `${tag}-net`;
const HTTP_PORT = 8080;
const HOST_PORT = 20000 + (process.pid % 10000);
const ns = (s: string) => `${tag}-${s}`;
const nsPath = (s: string) => `/var/run/netns/${ns(s)}`;

async function freeSubnet(): Promise<string> {
  const used = (await runChecked(["ip", "-o", "-4", "route", "show", "table", "all"])).stdout + (await runChecked(["ip", "-o", "-4", "addr"])).stdout;
  for (let i = 0; i < 200; i++) {
    const x = 20 + ((process.pid + i) % 200);
    if (!used.includes(`10.99.${x}.`)) return `10.99.${x}.0/24`;
  }
  throw new Error("no free 10.99.x.0/24 for the test network");
}

/** `timeout 3 busybox wget -qO- url`, on the host or inside a netns; stdout, or the failure. */
async function wget(url: string, inNs?: string): Promise<string> {
  const cmd = ["timeout", "3", "/bin/busybox", "wget", "-qO-", url];
  const r = await runCommand(inNs ? ["ip", "netns", "exec", inNs, ...cmd] : cmd);
  return r.exitCode === 0 ? r.stdout : `failed rc=${r.exitCode}: ${r.stderr.trim()}`;
}

async function natRulesOf(sandboxId: string): Promise<string[]> {
  const { stdout } = await runChecked(["iptables-save", "-t", "nat"]);
  // iptables-save prints the plugins' comments as `id: \"<id>\"`.
  return stdout.split("\n").filter((l) => l.includes(`id: \\"${sandboxId}\\"`));
}

setDefaultTimeout(20_000);

describe.skipIf(!!skip)("CniNetwork (real CNI plugins)", () => {
  let stateDir: string;
  let net: CniNetwork;
  let subnet: string;
  let hostIp: string;
  const servers: Bun.Subprocess[] = [];
  const ips: Record<string, string> = {};
  const leases = () => readdirSync(join(stateDir, "ipam", NETWORK)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).sort();

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), `${tag}-cni-`));
    subnet = await freeSubnet();
    net = new CniNetwork({ networkName: NETWORK, bridge: `${tag}0`, podCidr: subnet, stateDir });
    for (const s of ["a", "b", "c", "d"]) await runChecked(["ip", "netns", "add", ns(s)]);
    const www = join(stateDir, "www");
    mkdirSync(www);
    writeFileSync(join(www, "index.html"), "hello from a pod\n");
    // A host address that is neither a bridge of ours nor Docker's.
    const addrs = (await runChecked(["ip", "-o", "-4", "addr", "show", "scope", "global"])).stdout.split("\n");
    const line = addrs.find((l) => !/ (docker\d*|br-\S+|tug\S*|cni\S*) /.test(l));
    hostIp = line?.match(/inet (\d+\.\d+\.\d+\.\d+)\//)?.[1] ?? "";
  });

  afterAll(async () => {
    for (const s of servers) s.kill("SIGKILL");
    await Promise.all(servers.map((s) => s.exited));
    const errors: unknown[] = [];
    for (const id of await net.listCached()) await net.del(id).catch((e: unknown) => errors.push(e));
    for (const s of ["a", "b", "c", "d"]) await runCommand(["ip", "netns", "del", ns(s)]);
    await runCommand(["nft", "delete", "table", "ip", `tug-pods-${tag}0`]);
    await runCommand(["ip", "link", "del", `${tag}0`]);
    rmSync(stateDir, { recursive: true, force: true });
    const leftover = (await runChecked(["iptables-save"])).stdout.split("\n").filter((l) => l.includes(tag));
    expect({ errors, leftover }).toEqual({ errors: [], leftover: [] });
  });

  test("two pods get IPs from the pod CIDR and reach each other", async () => {
    const [a, b] = await Promise.all([
      net.add(ns("a"), nsPath("a"), [{ hostPort: HOST_PORT, containerPort: HTTP_PORT, protocol: "tcp" }]),
      net.add(ns("b"), nsPath("b"), []),
    ]);
    ips.a = a.ip;
    ips.b = b.ip;
    const prefix = subnet.replace(/0\/24$/, "");
    expect(a.ip.startsWith(prefix)).toBe(true);
    expect(b.ip.startsWith(prefix)).toBe(true);
    expect(a.ip).not.toBe(b.ip);
    expect([a.ip, b.ip]).not.toContain(`${prefix}1`); // the gateway, on the bridge
    expect(leases()).toEqual([a.ip, b.ip].sort());

    for (const s of ["a", "b"]) {
      servers.push(Bun.spawn(["ip", "netns", "exec", ns(s), "/bin/busybox", "httpd", "-f", "-p", String(HTTP_PORT), "-h", join(stateDir, "www")], { stdio: ["ignore", "ignore", "ignore"] }));
    }
    const ok = (v: string) => v === "hello from a pod\n";
    expect(await eventually(() => wget(`http://${ips.a}:${HTTP_PORT}/`, ns("b")), ok, 5000)).toBe("hello from a pod\n");
    expect(await eventually(() => wget(`http://${ips.b}:${HTTP_PORT}/`, ns("a")), ok, 5000)).toBe("hello from a pod\n");
  });

  test("the host reaches a pod IP", async () => {
    expect(await wget(`http://${ips.a}:${HTTP_PORT}/`)).toBe("hello from a pod\n");
  });

  test("a hostPort maps to the pod port via 127.0.0.1, a host IP and from another pod", async () => {
    expect(await wget(`http://127.0.0.1:${HOST_PORT}/`)).toBe("hello from a pod\n");
    const gateway = subnet.replace(/0\/24$/, "1");
    for (const ip of [hostIp || gateway, gateway]) {
      expect(await wget(`http://${ip}:${HOST_PORT}/`)).toBe("hello from a pod\n");
      expect(await wget(`http://${ip}:${HOST_PORT}/`, ns("b"))).toBe("hello from a pod\n");
    }
    // pod b has no hostPort: portmap was not run for it
    expect((await natRulesOf(ns("b"))).some((l) => l.includes("CNI-DN-"))).toBe(false);
  });

  test("add is idempotent and the state survives a new CniNetwork (agent restart)", async () => {
    expect(await net.add(ns("a"), nsPath("a"), [{ hostPort: HOST_PORT, containerPort: HTTP_PORT, protocol: "tcp" }])).toEqual({ ip: ips.a! });
    expect(leases()).toEqual([ips.a!, ips.b!].sort());
    await expect(net.add(ns("a"), nsPath("a"), [])).rejects.toThrow(/other port mappings/);

    const restarted = new CniNetwork({ networkName: NETWORK, bridge: `${tag}0`, podCidr: subnet, stateDir });
    expect(await restarted.ipOf(ns("a"))).toBe(ips.a!);
    expect(await restarted.ipOf(ns("zz"))).toBeUndefined();
    expect(await restarted.listCached()).toEqual([ns("a"), ns("b")]);
  });

  test("DEL frees the IP, removes the per-pod NAT chains and unmaps the hostPort; a second DEL is a no-op", async () => {
    const chain = bridgeMasqChainName(NETWORK, ns("a"));
    const before = await natRulesOf(ns("a"));
    // No per-pod masquerade chain (ipMasq off): one nft rule per node NATs what leaves the cluster's pod CIDR.
    expect(before.some((l) => l.includes(`-j ${chain}`))).toBe(false);
    const masq = await runCommand(["nft", "list", "table", "ip", `tug-pods-${tag}0`]);
    expect(masq.stdout).toContain(`ip saddr ${subnet} ip daddr != 10.42.0.0/16 masquerade`);
    expect(before.some((l) => l.includes("CNI-DN-"))).toBe(true);

    await net.del(ns("a"));
    expect(leases()).toEqual([ips.b!]);
    expect(await natRulesOf(ns("a"))).toEqual([]);
    expect((await runCommand(["iptables", "-t", "nat", "-S", chain])).exitCode).not.toBe(0);
    expect(await wget(`http://127.0.0.1:${HOST_PORT}/`)).toStartWith("failed");
    expect((await runCommand(["ip", "-n", ns("a"), "link", "show", "eth0"])).exitCode).not.toBe(0);
    expect(await net.ipOf(ns("a"))).toBeUndefined();
    expect(await net.listCached()).toEqual([ns("b")]);
    await net.del(ns("a"));
  });

  test("DEL after the netns is gone still frees the IP and the NAT chain", async () => {
    const { ip } = await net.add(ns("c"), nsPath("c"), [{ hostPort: HOST_PORT + 1, containerPort: HTTP_PORT, protocol: "tcp" }]);
    expect(leases()).toContain(ip);
    await runChecked(["ip", "netns", "del", ns("c")]);
    await net.del(ns("c"));
    expect(leases()).not.toContain(ip);
    expect(await natRulesOf(ns("c"))).toEqual([]);
  });

  test("a stale entry (netns recreated) is torn down and added again", async () => {
    const first = await net.add(ns("d"), nsPath("d"), []);
    await runChecked(["ip", "netns", "del", ns("d")]);
    await runChecked(["ip", "netns", "add", ns("d")]);
    const second = await net.add(ns("d"), nsPath("d"), []);
    expect((await runChecked(["ip", "-n", ns("d"), "-o", "-4", "addr", "show", "dev", "eth0"])).stdout).toContain(` inet ${second.ip}/`);
    expect(leases().filter((l) => l === first.ip || l === second.ip)).toEqual([second.ip]);
    expect(leases()).toHaveLength(2); // b and d
    await net.del(ns("d"));
  });

  test("a plugin error names the plugin and its message, and leaves no lease or state", async () => {
    const id = ns("x");
    const err = await net.add(id, `/var/run/netns/${tag}-does-not-exist`, []).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/CNI plugin loopback ADD failed \(code \d+\): .*netns/);
    expect(leases()).toEqual([ips.b!]);
    expect(await net.listCached()).toEqual([ns("b")]);
  });

  test("missing plugins name the package to install", async () => {
    const broken = new CniNetwork({ networkName: NETWORK, bridge: `${tag}0`, podCidr: subnet, stateDir, pluginDir: join(stateDir, "no-plugins") });
    await expect(broken.add(ns("y"), nsPath("b"), [])).rejects.toThrow(/bridge.*apt-get install containernetworking-plugins/);
  });
});
