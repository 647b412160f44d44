// DnsServer from inside a pod: a netns wired to the host by a veth pair, the
// responder on the host end (as on a node's pod gateway), and clients in the
// pod: busybox nslookup, glibc (getent) through a resolv.conf written by
// podResolvConf, and a small Bun client (dns-client.ts) for UDP/TCP detail.
// A second DnsServer on the host's loopback plays the upstream resolver.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import dgram from "node:dgram";
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Endpoints, Service } from "../../../core/resources/service.ts";
import { DnsServer } from "../../../node-agent/dns/dns-server.ts";
import { podResolvConf } from "../../../node-agent/dns/pod-resolv-conf.ts";
import { runChecked, runCommand } from "../../../node-agent/exec/command.ts";
import { missing, NEED_BUSYBOX, NEED_ROOT, type Need } from "../requirements.ts";
import type { Ask, Outcome, Reply } from "./dns-client.ts";

const NEED_IPROUTE: Need = { what: "iproute2", present: () => !!Bun.which("ip"), install: "apt-get install iproute2" };
const NEED_GETENT: Need = { what: "getent", present: () => !!Bun.which("getent"), install: "apt-get install libc-bin" };
const skip = missing([NEED_ROOT, NEED_IPROUTE, NEED_BUSYBOX, NEED_GETENT], "DNS responder in a pod netns");

const tag = `tugdns${process.pid % 10000}`;
const POD_NS = `${tag}-pod`;
const HOST_VETH = `${tag}h`;
const CLIENT = join(import.meta.dir, "dns-client.ts");

setDefaultTimeout(20_000);

async function freeSubnetPrefix(): Promise<string> {
  const used = (await runChecked(["ip", "-o", "-4", "route", "show", "table", "all"])).stdout + (await runChecked(["ip", "-o", "-4", "addr"])).stdout;
  for (let i = 0; i < 200; i++) {
    const x = 20 + ((process.pid + i) % 200);
    if (!used.includes(`10.98.${x}.`)) return `10.98.${x}`;
  }
  throw new Error("no free 10.98.x.0/24 for the test link");
}

const svc = (name: string, spec: Record<string, unknown>) => Service.parse({ metadata: { name, namespace: "default" }, spec });
const eps = (name: string, subsets: unknown[]) => Endpoints.parse({ metadata: { name, namespace: "default" }, subsets });

/** A headless service with so many pods that its A answer passes 512 bytes. */
const BIG = 40;
const bigIps = Array.from({ length: BIG }, (_, i) => `10.42.9.${i + 1}`);

const services = [
  svc("web", { clusterIP: "10.43.0.10", ports: [{ name: "http", port: 80 }] }),
  svc("db", { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] }),
  svc("big", { clusterIP: "None" }),
  svc("ext", { type: "ExternalName", externalName: "api.default.svc.example.test" }),
];
const endpoints = [
  eps("web", [{ addresses: [{ ip: "10.42.1.5" }], ports: [{ name: "http", port: 8080 }] }]),
  eps("db", [{ addresses: [{ ip: "10.42.1.7", hostname: "db-0" }, { ip: "10.42.2.8", hostname: "db-1" }], ports: [{ name: "pg", port: 5432 }] }]),
  eps("big", [{ addresses: bigIps.map((ip) => ({ ip })) }]),
];

describe.skipIf(!!skip)("DnsServer (pod netns, real sockets)", () => {
  let hostIp = "";
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  const upstream = new DnsServer({ clusterDomain: "example.test", upstreams: [], log });
  let responder: DnsServer;
  let lonely: DnsServer;
  // Takes queries and never answers: the upstream that times out.
  let blackhole: dgram.Socket | undefined;
  const hadEtcNetns = existsSync("/etc/netns");

  /** Runs the Bun client inside the pod netns; one list of outcomes per ask. */
  async function ask(asks: Partial<Ask>[]): Promise<Outcome[][]> {
    const full = asks.map((a) => ({ server: hostIp, port: 53, transport: "udp", ...a }));
    const r = await runCommand(["ip", "netns", "exec", POD_NS, process.execPath, CLIENT, JSON.stringify(full)], { timeoutMs: 15_000 });
    if (r.exitCode !== 0) throw new Error(`dns-client failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as Outcome[][];
  }
  const one = async (a: Partial<Ask>): Promise<Reply> => (await ask([a]))[0]?.[0] as Reply;

  async function inPod(argv: string[]): Promise<string> {
    const r = await runCommand(["ip", "netns", "exec", POD_NS, ...argv], { timeoutMs: 10_000 });
    return `${r.stdout}${r.stderr}`;
  }

  beforeAll(async () => {
    const prefix = await freeSubnetPrefix();
    hostIp = `${prefix}.1`;
    await runChecked(["ip", "netns", "add", POD_NS]);
    await runChecked(["ip", "link", "add", HOST_VETH, "type", "veth", "peer", "name", "eth0", "netns", POD_NS]);
    await runChecked(["ip", "addr", "add", `${hostIp}/24`, "dev", HOST_VETH]);
    await runChecked(["ip", "link", "set", HOST_VETH, "up"]);
    await runChecked(["ip", "-n", POD_NS, "link", "set", "lo", "up"]);
    await runChecked(["ip", "-n", POD_NS, "addr", "add", `${prefix}.2/24`, "dev", "eth0"]);
    await runChecked(["ip", "-n", POD_NS, "link", "set", "eth0", "up"]);
    await runChecked(["ip", "-n", POD_NS, "route", "add", "default", "via", hostIp]);
    // `ip netns exec` shows this file as the pod's /etc/resolv.conf, as a runtime would mount it.
    mkdirSync(`/etc/netns/${POD_NS}`, { recursive: true });
    writeFileSync(`/etc/netns/${POD_NS}/resolv.conf`, podResolvConf({ namespace: "default", nameserver: hostIp }));

    await upstream.start({ address: "127.0.0.1", port: 0 });
    upstream.update([svc("api", { clusterIP: "10.43.7.7" })], []);
    blackhole = dgram.createSocket("udp4");
    await new Promise<void>((r) => blackhole?.bind(0, "127.0.0.1", () => r()));
    const up = upstream.address();
    const dead = `127.0.0.1:${blackhole.address().port}`;
    // The first upstream never answers, so every forward also proves the move to the next one.
    responder = new DnsServer({ upstreams: [dead, `127.0.0.1:${up?.port}`], upstreamTimeoutMs: 300, log });
    await responder.start({ address: hostIp, port: 53 });
    responder.update(services, endpoints);
    lonely = new DnsServer({ upstreams: [dead], upstreamTimeoutMs: 300, log });
    await lonely.start({ address: hostIp, port: 0 });
  });

  afterAll(async () => {
    await responder?.stop();
    await lonely?.stop();
    await upstream.stop();
    blackhole?.close();
    await runCommand(["ip", "link", "del", HOST_VETH]);
    await runCommand(["ip", "netns", "del", POD_NS]);
    rmSync(`/etc/netns/${POD_NS}`, { recursive: true, force: true });
    if (!hadEtcNetns) {
      try {
        rmdirSync("/etc/netns");
      } catch {
        // Another test put its own netns files there meanwhile: theirs to clean.
      }
    }
    const left = (await runChecked(["ip", "-o", "link"])).stdout.includes(HOST_VETH) || (await runChecked(["ip", "netns", "list"])).stdout.includes(POD_NS);
    expect(left).toBe(false);
  });

  test("busybox nslookup: A of a ClusterIP service, headless -> pod IPs, NXDOMAIN for a missing one", async () => {
    const web = await inPod(["busybox", "nslookup", "-type=a", "web.default.svc.cluster.local", hostIp]);
    expect(web).toContain("Address: 10.43.0.10");
    const db = await inPod(["busybox", "nslookup", "-type=a", "db.default.svc.cluster.local", hostIp]);
    expect(db).toContain("Address: 10.42.1.7");
    expect(db).toContain("Address: 10.42.2.8");
    const missingSvc = await inPod(["busybox", "nslookup", "-type=a", "nope.default.svc.cluster.local", hostIp]);
    expect(missingSvc).toContain("NXDOMAIN");
    const srv = await inPod(["busybox", "nslookup", "-type=srv", "_http._tcp.web.default.svc.cluster.local", hostIp]);
    expect(srv).toMatch(/_http\._tcp\.web\.default\.svc\.cluster\.local\s+service = 0 100 80 web\.default\.svc\.cluster\.local/);
  });

  test("glibc in the pod resolves a short name through the resolv.conf podResolvConf wrote (search list, ndots:5)", async () => {
    expect(await inPod(["getent", "ahostsv4", "web"])).toContain("10.43.0.10");
    expect(await inPod(["getent", "ahostsv4", "db-1.db"])).toContain("10.42.2.8");
    // ndots:5 tries the search list first; the outside name still resolves through the upstream.
    expect(await inPod(["getent", "ahostsv4", "api.default.svc.example.test"])).toContain("10.43.7.7");
  });

  test("UDP and TCP: authoritative answers, the client's ID kept, case-insensitive, SRV with additionals", async () => {
    const [udpA, tcpA, srv, nx, aaaa, ptr] = await ask([
      { names: ["WEB.Default.svc.CLUSTER.local"] },
      { names: ["db-0.db.default.svc.cluster.local", "web.default.svc.cluster.local"], transport: "tcp" },
      { names: ["_pg._tcp.db.default.svc.cluster.local"], type: "SRV" },
      { names: ["nope.default.svc.cluster.local"], transport: "tcp" },
      { names: ["web.default.svc.cluster.local"], type: "AAAA" },
      { names: ["10.0.43.10.in-addr.arpa"], type: "PTR" },
    ]);
    expect(udpA).toEqual([{ rcode: 0, aa: true, tc: false, ra: true, idOk: true, answers: ["WEB.Default.svc.CLUSTER.local A 10.43.0.10"], additionals: [], size: expect.any(Number) }]);
    // Two queries in one TCP write, two framed answers back.
    expect((tcpA ?? []).map((r) => (r as Reply).answers).sort()).toEqual([["db-0.db.default.svc.cluster.local A 10.42.1.7"], ["web.default.svc.cluster.local A 10.43.0.10"]]);
    expect((tcpA ?? []).every((r) => (r as Reply).idOk)).toBe(true);
    expect(srv?.[0]).toMatchObject({
      rcode: 0,
      answers: ["_pg._tcp.db.default.svc.cluster.local SRV 0 50 5432 db-0.db.default.svc.cluster.local", "_pg._tcp.db.default.svc.cluster.local SRV 0 50 5432 db-1.db.default.svc.cluster.local"],
      additionals: ["db-0.db.default.svc.cluster.local A 10.42.1.7", "db-1.db.default.svc.cluster.local A 10.42.2.8"],
    });
    expect(nx?.[0]).toMatchObject({ rcode: 3, aa: true, answers: [] });
    expect(aaaa?.[0]).toMatchObject({ rcode: 0, aa: true, answers: [] });
    expect(ptr?.[0]).toMatchObject({ rcode: 0, answers: ["10.0.43.10.in-addr.arpa PTR web.default.svc.cluster.local"] });
  });

  test("a UDP answer over 512 bytes (or the client's EDNS size) comes with TC=1; TCP gets all of it", async () => {
    const [plain, edns, viaTcp] = await ask([
      { names: ["big.default.svc.cluster.local"] },
      { names: ["big.default.svc.cluster.local"], edns: 4096 },
      { names: ["big.default.svc.cluster.local"], transport: "tcp" },
    ]);
    expect(plain?.[0]).toMatchObject({ rcode: 0, tc: true, answers: [], idOk: true });
    expect((plain?.[0] as Reply).size).toBeLessThanOrEqual(512);
    expect((edns?.[0] as Reply).tc).toBe(false);
    expect((edns?.[0] as Reply).answers.length).toBe(BIG);
    expect((viaTcp?.[0] as Reply).answers.map((a) => a.split(" ")[2]).sort()).toEqual([...bigIps].sort());
  });

  test("outside names are forwarded raw (past a dead upstream) and the upstream's answer relayed, UDP and TCP", async () => {
    const [udpFwd, tcpFwd, nx, ext] = await ask([
      { names: ["api.default.svc.example.test"] },
      { names: ["API.default.svc.example.test"], transport: "tcp" },
      { names: ["nope.default.svc.example.test"] },
      { names: ["ext.default.svc.cluster.local"] },
    ]);
    // The AA bit is the upstream's (it is authoritative for example.test): the bytes were relayed, not rebuilt.
    expect(udpFwd?.[0]).toMatchObject({ rcode: 0, aa: true, idOk: true, answers: ["api.default.svc.example.test A 10.43.7.7"] });
    expect(tcpFwd?.[0]).toMatchObject({ rcode: 0, idOk: true, answers: ["API.default.svc.example.test A 10.43.7.7"] });
    expect(nx?.[0]).toMatchObject({ rcode: 3, aa: true, answers: [] });
    // ExternalName: the CNAME, then the target's A chased through the upstream.
    expect(ext?.[0]).toMatchObject({ rcode: 0, answers: ["ext.default.svc.cluster.local CNAME api.default.svc.example.test", "api.default.svc.example.test A 10.43.7.7"] });
  });

  test("SERVFAIL when every upstream fails", async () => {
    const port = lonely.address()?.port ?? 0;
    const [u, t] = await ask([
      { names: ["api.default.svc.example.test"], port },
      { names: ["api.default.svc.example.test"], port, transport: "tcp" },
    ]);
    expect(u?.[0]).toMatchObject({ rcode: 2, idOk: true, answers: [] });
    expect(t?.[0]).toMatchObject({ rcode: 2, idOk: true, answers: [] });
  });

  test("garbage is dropped (UDP) or ends the connection (TCP), and the responder keeps answering", async () => {
    const [udpJunk, tcpJunk, response, after, afterTcp] = await ask([
      { rawHex: "deadbeef", waitMs: 500 },
      { rawHex: "00ff00ff00ff00ff00ff00ff00ff", transport: "tcp" },
      // A packet with QR set is a response, not a query: dropped too (no reflection loops).
      { rawHex: "12348180000100000000000003777777076578616d706c650000010001", waitMs: 500 },
      { names: ["web.default.svc.cluster.local"] },
      { names: ["web.default.svc.cluster.local"], transport: "tcp" },
    ]);
    expect(udpJunk).toEqual([{ none: "timeout" }]);
    expect(tcpJunk).toEqual([{ none: "closed" }]);
    expect(response).toEqual([{ none: "timeout" }]);
    expect(after?.[0]).toMatchObject({ rcode: 0, answers: ["web.default.svc.cluster.local A 10.43.0.10"] });
    expect(afterTcp?.[0]).toMatchObject({ rcode: 0, answers: ["web.default.svc.cluster.local A 10.43.0.10"] });
    // Bad input is expected traffic, not an error worth a log line.
    expect(logs).toEqual([]);
  });

  test("update() swaps the records", async () => {
    responder.update([svc("web", { clusterIP: "10.43.0.99" })], []);
    try {
      const [web, db] = await ask([{ names: ["web.default.svc.cluster.local"] }, { names: ["db.default.svc.cluster.local"] }]);
      expect(web?.[0]).toMatchObject({ answers: ["web.default.svc.cluster.local A 10.43.0.99"] });
      expect(db?.[0]).toMatchObject({ rcode: 3 });
    } finally {
      responder.update(services, endpoints);
    }
  });

  test("start() rejects with one line, logged once, for an address not on the host and for a port in use", async () => {
    logs.length = 0;
    const elsewhere = new DnsServer({ upstreams: [], log });
    const notHere = await elsewhere.start({ address: "10.98.255.254", port: 53 }).then(() => "started", (e: Error) => e.message);
    const busy = await new DnsServer({ upstreams: [], log }).start({ address: hostIp, port: 53 }).then(() => "started", (e: Error) => e.message);
    expect(notHere).toBe("dns: cannot listen on 10.98.255.254:53 (udp+tcp): EADDRNOTAVAIL (address not available on this host)");
    expect(busy).toBe(`dns: cannot listen on ${hostIp}:53 (udp+tcp): EADDRINUSE (port in use)`);
    expect(logs).toEqual([notHere, busy]);
    // A failed start leaves nothing open: the same server can start later.
    await elsewhere.start({ address: "127.0.0.1", port: 0 });
    expect(elsewhere.address()?.port).toBeGreaterThan(0);
    await elsewhere.stop();
  });
});
