// NftApplier on real traffic: two "nodes" (network namespaces on a fabric
// bridge, host-gw pod routes), busybox httpd pods on both, and the real
// applier programming each node's nftables through `ip netns exec NODE nft`.
// The plans come from planVirtualServers, as the agent's do.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { CommandRunner } from "../../ipvs/applier.ts";
import { NftApplier } from "../../ipvs/nft-applier.ts";
import { planVips, planVirtualServers } from "../../ipvs/plan.ts";
import { Endpoints, Service } from "../../core/resources/service.ts";
import { NEED_BUSYBOX, NEED_ROOT, missing } from "../node-agent/requirements.ts";
import { HTTP_PORT, NEED_BR_NETFILTER, NEED_IP, NEED_NFT, NetnsLab, type LabPod } from "./netns-fixture.ts";

const skip = missing([NEED_ROOT, NEED_NFT, NEED_IP, NEED_BUSYBOX, NEED_BR_NETFILTER], "NftApplier in network namespaces");

// Generous: a broken dataplane makes each request wait out its 2 s timeout.
setDefaultTimeout(60_000);

const POD_CIDR = "10.42.0.0/16";
const WEB_VIP = "10.43.0.10";
const NP_VIP = "10.43.0.11";
const NODE_PORT = 30080;
const DEAD_VIP = "10.43.0.12";
const DEAD_NODE_PORT = 30081;
/** Requests per "reaches both backends" check: with two equal backends, a miss by chance is 2^-19. */
const TRIES = 20;

const service = (name: string, type: "ClusterIP" | "NodePort", clusterIP: string, nodePort?: number) =>
  Service.parse({ metadata: { name, namespace: "default" }, spec: { type, clusterIP, ports: [{ port: 80, targetPort: HTTP_PORT, ...(nodePort ? { nodePort } : {}) }] } });
const endpoints = (name: string, pods: { ip: string; node: string }[]) =>
  Endpoints.parse({ metadata: { name, namespace: "default" }, subsets: pods.length ? [{ addresses: pods.map((p) => ({ ip: p.ip, nodeName: p.node })), ports: [{ port: HTTP_PORT }] }] : [] });

describe.skipIf(skip !== undefined)("NftApplier (real nftables, traffic between netns)", () => {
  const lab = new NetnsLab();
  let a1: LabPod; // node 1: backend
  let c1: LabPod; // node 1: a client that is not a backend
  let b1: LabPod; // node 2: backend
  let c2: LabPod; // node 2: a client that is not a backend
  const appliers = new Map<number, NftApplier>();
  const table = `tug-svc-${lab.id}`;

  /** The agent's step: Services + Endpoints -> plan -> apply, on node n. */
  const applyOn = (n: number, backends: LabPod[]) => {
    const addresses = [lab.nodeAddress(n)];
    const at = (p: LabPod) => ({ ip: p.ip, node: p === b1 ? "node2" : "node1" });
    const virtualServers = planVirtualServers({
      services: [service("web", "ClusterIP", WEB_VIP), service("webnp", "NodePort", NP_VIP, NODE_PORT), service("empty", "NodePort", DEAD_VIP, DEAD_NODE_PORT)],
      endpoints: [endpoints("web", backends.map(at)), endpoints("webnp", backends.map(at)), endpoints("empty", [])],
      node: { name: `node${n}`, addresses },
    });
    return appliers.get(n)!.apply({ virtualServers, vips: planVips(virtualServers, { addresses }), clusterPodCidr: POD_CIDR });
  };
  const bodies = async (ns: string, url: string, count = TRIES) => {
    const lines = await lab.fetchMany(ns, url, count);
    return { seen: [...new Set(lines)].sort(), lines };
  };

  beforeAll(async () => {
    try {
      await lab.addFabric();
      await lab.addNode(1);
      await lab.addNode(2);
      await lab.routes();
      a1 = await lab.addPod(1, "a1", 10);
      c1 = await lab.addPod(1, "c1", 20);
      b1 = await lab.addPod(2, "b1", 10);
      c2 = await lab.addPod(2, "c2", 20);
      for (const n of [1, 2]) appliers.set(n, new NftApplier({ run: lab.runner(lab.nodeNs(n)), table }));
      expect(await applyOn(1, [a1, b1])).toEqual({ changes: 1, pending: false });
      expect(await applyOn(2, [a1, b1])).toEqual({ changes: 1, pending: false });
    } catch (e) {
      await lab.destroy();
      throw e;
    }
  }, 60_000);

  afterAll(async () => {
    await lab.destroy();
  });

  test("a cluster IP reaches both backends from either node and from a pod", async () => {
    for (const ns of [lab.nodeNs(1), lab.nodeNs(2), c1.ns]) {
      expect({ from: ns, ...(await bodies(ns, `http://${WEB_VIP}/`)) }).toMatchObject({ from: ns, seen: ["a1", "b1"] });
    }
  });

  test("a node port on node 1's address reaches both backends from node 2, the fabric, and a pod on node 2", async () => {
    // The pod on node 2 is why node ports are masqueraded for pods too: sent
    // to b1 unmasqueraded, its request would be answered by b1 straight over
    // node 2's bridge, past node 1's un-DNAT.
    for (const ns of [lab.nodeNs(2), lab.fabric, c2.ns]) {
      expect({ from: ns, ...(await bodies(ns, `http://${lab.nodeAddress(1)}:${NODE_PORT}/`)) }).toMatchObject({ from: ns, seen: ["a1", "b1"] });
    }
  });

  test("hairpin: a pod reaches itself through the cluster IP", async () => {
    // Every request must succeed; about half go back to a1 itself.
    expect(await bodies(a1.ns, `http://${WEB_VIP}/`)).toMatchObject({ seen: ["a1", "b1"] });
  });

  test("a service without endpoints is refused at once, on the cluster IP and the node port", async () => {
    for (const [ns, url] of [
      [c1.ns, `http://${DEAD_VIP}/`], // forward hook
      [lab.nodeNs(1), `http://${DEAD_VIP}/`], // output hook
      [lab.fabric, `http://${lab.nodeAddress(1)}:${DEAD_NODE_PORT}/`], // input hook
    ] as const) {
      const [line] = await lab.fetchMany(ns, url, 1);
      // timeout(1) would exit 124: "FAIL 1" with ECONNREFUSED means a reset or ICMP came back.
      expect({ from: ns, line }).toEqual({ from: ns, line: expect.stringMatching(/^FAIL 1 .*Connection refused/) });
    }
  });

  test("applying the same plan again changes nothing; a deleted table is put back", async () => {
    expect(await applyOn(1, [a1, b1])).toEqual({ changes: 0, pending: false });
    const del = await lab.exec(lab.nodeNs(1), ["nft", "delete", "table", "ip", table]);
    expect(del.exitCode).toBe(0);
    expect(await applyOn(1, [a1, b1])).toEqual({ changes: 1, pending: false });
    expect(await bodies(lab.nodeNs(1), `http://${WEB_VIP}/`)).toMatchObject({ seen: ["a1", "b1"] });
  });

  test("an endpoint that stops being ready leaves the rotation; coming back puts it in again", async () => {
    for (const n of [1, 2]) expect(await applyOn(n, [a1])).toEqual({ changes: 1, pending: false });
    for (const ns of [lab.nodeNs(1), lab.nodeNs(2), c1.ns]) {
      expect({ from: ns, ...(await bodies(ns, `http://${WEB_VIP}/`)) }).toMatchObject({ from: ns, seen: ["a1"] });
    }
    expect(await bodies(lab.fabric, `http://${lab.nodeAddress(1)}:${NODE_PORT}/`)).toMatchObject({ seen: ["a1"] });
    for (const n of [1, 2]) expect(await applyOn(n, [a1, b1])).toEqual({ changes: 1, pending: false });
    expect(await bodies(c1.ns, `http://${WEB_VIP}/`)).toMatchObject({ seen: ["a1", "b1"] });
  });
});

describe.skipIf(skip !== undefined)("NftApplier (updates, errors, clear) in a scratch netns", () => {
  const lab = new NetnsLab();
  const ns = lab.nodeNs(9);
  const table = `tug-svc-${lab.id}`;
  const scripts: string[] = [];
  let run: CommandRunner;

  beforeAll(async () => {
    try {
      await lab.addFabric();
      await lab.addNode(9);
    } catch (e) {
      await lab.destroy();
      throw e;
    }
    const inner = lab.runner(ns);
    // Records what each `nft -f -` was fed, to tell an update from a full load.
    run = (argv, options) => {
      if (argv.join(" ") === "nft -f -") scripts.push(options?.input ?? "");
      return inner(argv, options);
    };
  });

  afterAll(async () => {
    await lab.destroy();
  });

  const vs = (address: string, port: number, reals: string[], protocol: "tcp" | "udp" = "tcp") => ({
    protocol,
    address,
    port,
    scheduler: "rr",
    realServers: reals.map((r) => ({ address: r, port: 8080, weight: 1 })),
  });
  const before = [vs("10.43.0.10", 80, ["10.42.1.5", "10.42.2.5"]), vs("10.43.0.11", 53, [], "udp"), vs("192.168.77.19", 30080, ["10.42.1.5"])];
  const after = [vs("10.43.0.10", 80, ["10.42.2.5", "10.42.2.6"]), vs("10.43.0.11", 53, ["10.42.1.7"], "udp"), vs("10.43.0.13", 443, ["10.42.1.8"])];
  const plan = (virtualServers: ReturnType<typeof vs>[]) => ({ virtualServers, vips: planVips(virtualServers, { addresses: ["192.168.77.19"] }), clusterPodCidr: POD_CIDR });

  /** The table as nft's JSON, without handles and with elements sorted: the same for the same content. */
  const kernelTable = async () => {
    const r = await lab.exec(ns, ["nft", "-j", "list", "table", "ip", table]);
    expect(r.exitCode).toBe(0);
    const strip = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(strip) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== "handle").map(([k, x]) => [k, k === "elem" && Array.isArray(x) ? x.map(strip).sort((p, q) => JSON.stringify(p).localeCompare(JSON.stringify(q))) : strip(x)])) : v;
    return ((JSON.parse(r.stdout) as { nftables: unknown[] }).nftables.map(strip) as unknown[]).map((x) => JSON.stringify(x)).sort();
  };

  test("an update on top of a loaded table leaves what a fresh full load of the new plan leaves", async () => {
    const applier = new NftApplier({ run, table });
    await applier.apply(plan(before));
    expect(await applier.apply(plan(after))).toEqual({ changes: 1, pending: false });
    expect(scripts.map((s) => s.startsWith(`table ip ${table}\n`))).toEqual([true, false]);
    const updated = await kernelTable();
    await applier.clear();
    await new NftApplier({ run, table }).apply(plan(after));
    expect(await kernelTable()).toEqual(updated);
  });

  test("a plan nft rejects is a one-line error naming nft and its message; the next good plan loads whole", async () => {
    const applier = new NftApplier({ run, table });
    await applier.apply(plan(before));
    const bad = plan([vs("10.43.0.30", 70000, ["10.42.1.5"])]);
    const error = await applier.apply(bad).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toMatch(new RegExp(`^nft -f - \\(table ip ${table}\\) failed \\(exit 1\\): .*Error: `));
    expect(error?.message).not.toContain("\n");
    scripts.length = 0;
    expect(await applier.apply(plan(after))).toEqual({ changes: 1, pending: false });
    expect(scripts.map((s) => s.startsWith(`table ip ${table}\n`))).toEqual([true]);
  });

  test("clear deletes the table, and clearing again is fine", async () => {
    const applier = new NftApplier({ run, table });
    await applier.apply(plan(before));
    await applier.clear();
    await applier.clear();
    expect((await lab.exec(ns, ["nft", "list", "table", "ip", table])).exitCode).not.toBe(0);
    // After clear the next apply loads the whole table again.
    expect(await applier.apply(plan(before))).toEqual({ changes: 1, pending: false });
    expect((await lab.exec(ns, ["nft", "list", "table", "ip", table])).exitCode).toBe(0);
  });
});
