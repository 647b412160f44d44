// bench/proxy-ipvs.ts: the IPVS service dataplane (IpvsApplier) on a real
// IP_VS kernel: Debian's, booted under qemu by test/vm/vm.ts (software
// emulation here, so absolute times are several times a real board's; the
// ratios between rows are what carry over). One VM runs
// test/vm/in-vm/bench-apply.ts, which applies 1,000 ClusterIP services x 5
// endpoints from scratch, the same plan again (a resync), a one-endpoint
// change (the new one added, the old one drained to weight 0) and the pass
// after it (the drained one deleted). Prints medians over runs, the VM's
// boot and wall time, and where the time of each apply went, per command.
//
//   node_modules/.bin/bun bench/proxy-ipvs.ts [--runs 3]

import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureVmImage, runBunScriptInVm } from "../test/vm/vm.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const RUNS = Number(values.runs);

type Phase = "scratch" | "resync" | "change" | "delete";
interface BenchResult {
  services: number;
  endpoints: number;
  kernelServices: number;
  procMs: number;
  runs: Record<Phase, number>[];
  breakdown: Record<Phase, { command: string; ms: number }[]>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const t0 = performance.now();
await ensureVmImage();
const imageMs = performance.now() - t0;
const run = await runBunScriptInVm<BenchResult>(join(import.meta.dir, "..", "test", "vm", "in-vm", "bench-apply.ts"), { args: [String(RUNS)], timeoutMs: 600_000 });
if (run.exitCode !== 0 || !run.result) {
  console.error(run.output.slice(-3000));
  throw new Error(`bench-apply.ts failed in the VM (exit ${run.exitCode})`);
}
const r = run.result;
if (r.kernelServices !== r.services) throw new Error(`the kernel holds ${r.kernelServices} services, not ${r.services}`);

console.log(`IpvsApplier in a qemu VM (accel ${run.accel}, Debian kernel), ${r.services} services x ${r.endpoints} endpoints, median of ${r.runs.length} runs`);
console.log(`  image check ${(imageMs / 1000).toFixed(1)} s, VM wall ${(run.wallMs / 1000).toFixed(1)} s (boot ${((run.bootMs ?? 0) / 1000).toFixed(1)} s, script ${((run.scriptMs ?? 0) / 1000).toFixed(1)} s)`);
const label: Record<Phase, string> = {
  scratch: "apply from scratch",
  resync: "apply, nothing changed",
  change: "one endpoint moved (add + drain)",
  delete: "next pass (delete drained)",
};
for (const phase of Object.keys(label) as Phase[]) {
  const steps = r.breakdown[phase].map((c) => `${c.command} ${c.ms}`).join(", ");
  console.log(`  ${label[phase].padEnd(34)} ${String(median(r.runs.map((x) => x[phase]))).padStart(6)} ms   [run 1: ${steps}]`);
}
console.log(`  (all runs: ${r.runs.map((x) => JSON.stringify(x)).join(" ")}; reading the full table with cat /proc/net/ip_vs: ${r.procMs} ms)`);
