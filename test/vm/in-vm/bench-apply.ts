// Runs inside the test VM under Bun for bench/proxy-ipvs.ts: the real
// IpvsApplier with the agent's runCommand at 1,000 ClusterIP services x 5
// endpoints (the shape bench/proxy.ts uses for the nftables dataplane).
// Per run: clear, apply from scratch, apply the same plan (resync), move one
// endpoint (added + the old one drained), apply again (drained one deleted).
// Prints "@@RESULT {json}" with every run's times and, for the first run,
// the time each command took.

import type { CommandRunner, DataplanePlan } from "../../../ipvs/applier.ts";
import { IpvsApplier } from "../../../ipvs/ipvs-applier.ts";
import type { VirtualServer } from "../../../ipvs/virtual-server.ts";
import { runCommand } from "../../../node-agent/exec/command.ts";

const RUNS = Number(process.argv[2] ?? 3);
const SERVICES = 1000;
const ENDPOINTS = 5;

/** SERVICES cluster IPs with ENDPOINTS pods each over two pod CIDRs; `bump` moves one endpoint of that service. */
function bigPlan(bump?: number): DataplanePlan {
  const virtualServers: VirtualServer[] = Array.from({ length: SERVICES }, (_, i) => ({
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
  return { virtualServers, vips: virtualServers.map((v) => v.address), clusterPodCidr: "10.42.0.0/16" };
}

const commands: { command: string; ms: number }[] = [];
let recording = false;
const timedRun: CommandRunner = async (argv, options) => {
  const t = performance.now();
  const out = await runCommand(argv, options ?? {});
  if (recording) commands.push({ command: argv.slice(0, 3).join(" "), ms: Math.round(performance.now() - t) });
  return out;
};
const timed = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return Math.round(performance.now() - t);
};

const full = bigPlan();
const changed = bigPlan(SERVICES / 2);
const runs: Record<"scratch" | "resync" | "change" | "delete", number>[] = [];
const breakdown: Record<string, { command: string; ms: number }[]> = {};
for (let r = 0; r < RUNS; r++) {
  await new IpvsApplier({ run: runCommand }).clear();
  const applier = new IpvsApplier({ run: timedRun });
  const row = { scratch: 0, resync: 0, change: 0, delete: 0 };
  for (const [name, plan] of [["scratch", full], ["resync", full], ["change", changed], ["delete", changed]] as const) {
    recording = r === 0;
    row[name] = await timed(() => applier.apply(plan));
    if (recording) {
      const steps = commands.splice(0);
      // What is not spent in commands: parsing, diffing, rendering, spawning.
      breakdown[name] = [...steps, { command: "(in Bun)", ms: row[name] - steps.reduce((a, c) => a + c.ms, 0) }];
    }
  }
  runs.push(row);
  console.log(`run ${r + 1}: ${JSON.stringify(row)}`);
}
const kernelServices = (await runCommand(["ipvsadm", "-Sn"])).stdout.split("\n").filter((l) => l.startsWith("-A")).length;
// For comparison: the same table read from /proc in one go instead of ipvsadm's netlink call per service.
const procMs = await timed(() => runCommand(["cat", "/proc/net/ip_vs"]));
console.log(`@@RESULT ${JSON.stringify({ services: SERVICES, endpoints: ENDPOINTS, kernelServices, procMs, runs, breakdown })}`);
