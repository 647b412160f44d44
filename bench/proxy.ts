// bench/proxy.ts: the nftables service dataplane (NftApplier) on real
// nftables, in network namespaces (test/ipvs/netns-fixture.ts), nothing in
// the host netns. Two parts, medians over runs:
//
// 1. Apply times in a scratch node netns for 1,000 ClusterIP services x 5
//    endpoints: the first load (table absent), a resync that finds nothing
//    to do, a one-endpoint change (an incremental update), and a full replace
//    on top of the loaded table (what a restarted agent does), plus the share
//    the JS planner takes.
// 2. Requests per second from a client pod through a cluster IP vs straight
//    to the pod's IP, with the backend on the client's node and on another
//    node (host-gw), sequential and concurrent, each request a new TCP
//    connection (busybox httpd closes it), so every request is DNATed anew.
//    Also with the 1,000-service table loaded on the client's node.
//
//   node_modules/.bin/bun bench/proxy.ts [--runs 5] [--requests 2000] [--concurrency 8]

import { parseArgs } from "node:util";
import type { CommandRunner } from "../ipvs/applier.ts";
import { NftApplier } from "../ipvs/nft-applier.ts";
import { planNftTable, planNftUpdate, renderNftTable } from "../ipvs/nftables-plan.ts";
import type { VirtualServer } from "../ipvs/virtual-server.ts";
import { runCommand } from "../node-agent/exec/command.ts";
import { HTTP_PORT, NetnsLab } from "../test/ipvs/netns-fixture.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, requests: { type: "string", default: "2000" }, concurrency: { type: "string", default: "8" } } });
const RUNS = Number(values.runs);
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const SERVICES = 1000;
const ENDPOINTS = 5;
const POD_CIDR = "10.42.0.0/16";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
};

/** SERVICES cluster IPs, each with ENDPOINTS pods spread over two pod CIDRs; `bump` moves one endpoint of that service. */
function bigPlan(bump?: number): VirtualServer[] {
  return Array.from({ length: SERVICES }, (_, i) => ({
    protocol: "tcp" as const,
    address: `10.43.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`,
    port: 80,
    scheduler: "rr",
    realServers: Array.from({ length: ENDPOINTS }, (_, j) => ({
      address: `10.42.${1 + (j % 2)}.${((i * ENDPOINTS + j + (i === bump && j === 0 ? 1 : 0)) % 250) + 2}`,
      port: 8080 + j,
      weight: 1,
    })),
  }));
}

async function applyTimes(lab: NetnsLab, ns: string): Promise<string[]> {
  const inner = lab.runner(ns);
  // Times each `nft -f -` on its own, apart from the planning and the presence probe.
  let lastLoadMs = 0;
  const run: CommandRunner = async (argv, options) => {
    const [out, t] = await timed(() => inner(argv, options));
    if (argv.join(" ") === "nft -f -") lastLoadMs = t;
    return out;
  };
  const plan = (virtualServers: VirtualServer[]) => ({ virtualServers, vips: virtualServers.map((v) => v.address), clusterPodCidr: POD_CIDR });
  const full = plan(bigPlan());
  const changed = plan(bigPlan(SERVICES / 2));
  const rows: Record<string, number[]> = { initial: [], resync: [], change: [], changeLoad: [], replace: [], planFull: [], planUpdate: [] };
  for (let r = 0; r < RUNS; r++) {
    await new NftApplier({ run }).clear();
    const applier = new NftApplier({ run });
    const [first, t1] = await timed(() => applier.apply(full));
    const [again, t2] = await timed(() => applier.apply(full));
    const [change, t3] = await timed(() => applier.apply(changed));
    rows.changeLoad!.push(lastLoadMs);
    const [replace, t4] = await timed(() => new NftApplier({ run }).apply(full));
    if ([first, change, replace].some((x) => x.changes !== 1) || again.changes !== 0) throw new Error("bench: an apply did not report what it should have");
    rows.initial!.push(t1);
    rows.resync!.push(t2);
    rows.change!.push(t3);
    rows.replace!.push(t4);
    // The pure part alone, in this process.
    const [before, t5] = await timed(async () => planNftTable(full.virtualServers, { podCidr: POD_CIDR }));
    renderNftTable(before);
    rows.planFull!.push(t5);
    const [, t6] = await timed(async () => planNftUpdate(before, planNftTable(changed.virtualServers, { podCidr: POD_CIDR })));
    rows.planUpdate!.push(t6);
  }
  await new NftApplier({ run }).clear();
  const size = (renderNftTable(planNftTable(full.virtualServers, { podCidr: POD_CIDR })).length / 1e6).toFixed(2);
  const update = planNftUpdate(planNftTable(full.virtualServers), planNftTable(changed.virtualServers));
  return [
    `Apply, ${SERVICES} services x ${ENDPOINTS} endpoints (script ${size} MB, ${SERVICES * (ENDPOINTS + 1)} chains), NftApplier via ip netns exec, median of ${RUNS}:`,
    "",
    "| operation | median | min | max |",
    "|---|---|---|---|",
    ...(
      [
        ["first load, table absent (nft -f, whole table)", rows.initial!],
        ["resync, plan unchanged (table-present probe only)", rows.resync!],
        [`one-endpoint change (incremental, ${update.split("\n").length - 1} nft lines)`, rows.change!],
        ["  of which its nft -f - alone", rows.changeLoad!],
        ["full replace on top of the table (fresh applier)", rows.replace!],
        ["  of which JS: planNftTable for the whole plan", rows.planFull!],
        ["  of which JS: planNftTable + planNftUpdate for the change", rows.planUpdate!],
      ] as const
    ).map(([name, xs]) => `| ${name} | ${ms(median(xs))} | ${ms(Math.min(...xs))} | ${ms(Math.max(...xs))} |`),
  ];
}

/** Runs inside the client pod: `count` GETs over `workers` sequential loops; prints {ok, failed, seconds}. */
const CLIENT = `
const [url, count, workers] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
let ok = 0, failed = 0, next = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: workers }, async () => {
  while (next < count) {
    next++;
    try { const r = await fetch(url, { keepalive: false }); await r.text(); r.ok ? ok++ : failed++; } catch { failed++; }
  }
}));
console.log(JSON.stringify({ ok, failed, seconds: (performance.now() - t0) / 1000 }));
`;

async function requestsPerSecond(clientNs: string, url: string, workers: number): Promise<number> {
  // A clean environment: no proxy variables, no inherited Bun settings.
  const r = await runCommand(["ip", "netns", "exec", clientNs, process.execPath, "-e", CLIENT, url, String(REQUESTS), String(workers)], { env: { PATH: process.env.PATH }, timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new Error(`bench client failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
  const out = JSON.parse(r.stdout) as { ok: number; failed: number; seconds: number };
  if (out.failed > 0) throw new Error(`bench client: ${out.failed} of ${REQUESTS} requests to ${url} failed`);
  return out.ok / out.seconds;
}

async function throughput(lab: NetnsLab): Promise<string[]> {
  await lab.addNode(1);
  await lab.addNode(2);
  await lab.routes();
  const near = await lab.addPod(1, "near", 10);
  const far = await lab.addPod(2, "far", 10);
  const client = await lab.addPod(1, "client", 20);
  const vs = (address: string, pod: string): VirtualServer => ({ protocol: "tcp", address, port: 80, scheduler: "rr", realServers: [{ address: pod, port: HTTP_PORT, weight: 1 }] });
  const small = [vs("10.43.0.10", near.ip), vs("10.43.0.20", far.ip)];
  // The client's node does the DNAT.
  const applier = new NftApplier({ run: lab.runner(lab.nodeNs(1)) });
  const load = (virtualServers: VirtualServer[]) => applier.apply({ virtualServers, vips: virtualServers.map((v) => v.address), clusterPodCidr: POD_CIDR });

  const cases = [
    { name: "backend on the client's node", direct: `http://${near.ip}:${HTTP_PORT}/`, vip: "http://10.43.0.10/" },
    { name: "backend on the other node", direct: `http://${far.ip}:${HTTP_PORT}/`, vip: "http://10.43.0.20/" },
  ];
  const rows: string[] = [];
  const tables: [string, VirtualServer[]][] = [
    ["2 services", small],
    [`${SERVICES + 2} services`, [...small, ...bigPlan()]],
  ];
  for (const [label, plan] of tables) {
    await load(plan);
    for (const c of cases) {
      for (const workers of [1, CONCURRENCY]) {
        const direct: number[] = [];
        const vip: number[] = [];
        for (let r = 0; r < RUNS; r++) {
          direct.push(await requestsPerSecond(client.ns, c.direct, workers));
          vip.push(await requestsPerSecond(client.ns, c.vip, workers));
        }
        const [d, v] = [median(direct), median(vip)];
        rows.push(`| ${label} | ${c.name} | ${workers === 1 ? "sequential" : `${workers} concurrent`} | ${d.toFixed(0)} | ${v.toFixed(0)} | ${(v / d).toFixed(2)} |`);
      }
    }
  }
  await applier.clear();
  return [
    `Requests/s from a client pod (Bun fetch, ${REQUESTS} requests a run, a new connection each, busybox httpd), median of ${RUNS}:`,
    "",
    "| table on the client's node | backend | client | direct to pod | via cluster IP | ratio |",
    "|---|---|---|---|---|---|",
    ...rows,
  ];
}

const lab = new NetnsLab();
try {
  await lab.addFabric();
  const scratch = await lab.addNode(9);
  const out = [...(await applyTimes(lab, scratch)), "", ...(await throughput(lab))];
  out.push("", "IPVS (in a VM with an IP_VS kernel): see bench/proxy-ipvs.ts, written separately; this machine's kernel has no IP_VS.");
  console.log(out.join("\n"));
} finally {
  await lab.destroy();
}
