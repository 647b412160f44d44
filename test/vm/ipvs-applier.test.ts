// The real IpvsApplier on a real IPVS kernel: boots Debian's kernel under
// qemu once (vm.ts), runs in-vm/apply-plan.ts there under Bun with the
// agent's runCommand, and checks what it reports: the kernel's table and the
// dummy interface against the plan, traffic through the VIPs (round robin,
// session affinity, masquerade, hairpin), drain then delete, clear().

import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { ApplyReport } from "../../ipvs/applier.ts";
import type { VirtualServer } from "../../ipvs/virtual-server.ts";
import { missing, type Need } from "../node-agent/requirements.ts";
import type { Reply } from "./in-vm/topology.ts";
import { VM_NEEDS, ensureVmImage, runBunScriptInVm, type BunVmRun } from "./vm.ts";

interface Scenario {
  kernelRelease: string;
  gateways: Record<string, string>;
  first: { report: ApplyReport; planned: VirtualServer[]; kernel: VirtualServer[]; save: string; vips: string[]; onInterface: string[]; nftTables: string[] };
  traffic: { fromNode: Reply[]; fromPod: Reply[]; nodePortFromOutside: Reply[]; nodePortFromPod: Reply[]; hairpin: Reply[] };
  drained: { report: ApplyReport; kernel: VirtualServer[]; afterDrain: Reply[] };
  deleted: { report: ApplyReport; planned: VirtualServer[]; kernel: VirtualServer[] };
  unchanged: { report: ApplyReport };
  refused: { error: string; kernel: VirtualServer[]; repairReport: ApplyReport; repaired: VirtualServer[] };
  cleared: { save: string; onInterface: string[]; nftTables: string[] };
}

// The kernel .deb comes from Debian's mirror: built (or found cached) before
// the suite starts, so a machine that cannot get it skips like one without qemu.
const imageError = VM_NEEDS.every((n) => n.present()) ? await ensureVmImage().then(() => undefined, (e: Error) => e.message) : undefined;
const NEED_IMAGE: Need = { what: "the VM image", present: () => imageError === undefined, install: `${imageError} (needs Debian's apt mirror once)` };
const skip = missing([...VM_NEEDS, NEED_IMAGE], "IPVS applier in a qemu VM");

describe.skipIf(skip !== undefined)("IpvsApplier on Debian's kernel in a VM", () => {
  let run: BunVmRun<Scenario>;
  let s: Scenario;

  beforeAll(async () => {
    run = await runBunScriptInVm<Scenario>(join(import.meta.dir, "in-vm", "apply-plan.ts"), { timeoutMs: 150_000 });
    if (run.exitCode !== 0 || !run.result) throw new Error(`the in-VM script failed (exit ${run.exitCode}):\n${run.output.slice(-3000)}`);
    s = run.result;
  }, 240_000);

  const backends = (replies: Reply[]) => replies.map((r) => r.backend);
  const alternates = (names: string[]) => names.every((n, i) => i === 0 || n !== names[i - 1]);

  test("the kernel's IPVS table is the plan; the dummy interface holds exactly the VIPs; the masquerade table is there", () => {
    expect(s.first.planned.map((v) => `${v.address}:${v.port} ${v.persistent ?? "-"} ${v.realServers.length}`)).toEqual(["10.43.0.10:80 - 2", "10.43.0.20:80 600 2", "198.51.100.1:30080 600 2"]);
    expect(s.first.kernel).toEqual(s.first.planned);
    expect(s.first.onInterface.sort()).toEqual(s.first.vips.map((v) => `${v}/32`).sort());
    expect(s.first.vips).toEqual(["10.43.0.10", "10.43.0.20"]);
    expect(s.first.nftTables).toContain("table ip tug-ipvs");
    expect(s.first.report.pending).toBe(false);
  });

  test("round robin through the VIP from the node and from a pod: the node's requests are masqueraded, the pod's are not", () => {
    expect(new Set(backends(s.traffic.fromNode))).toEqual(new Set(["be1", "be2"]));
    expect(alternates(backends(s.traffic.fromNode))).toBe(true);
    for (const r of s.traffic.fromNode) expect(r.seenFrom).toBe(s.gateways[r.backend]!);

    expect(new Set(backends(s.traffic.fromPod))).toEqual(new Set(["be1", "be2"]));
    expect(alternates(backends(s.traffic.fromPod))).toBe(true);
    for (const r of s.traffic.fromPod) expect(r.seenFrom).toBe("10.42.3.2");
  });

  test("NodePort with ClientIP affinity: a client outside the cluster sticks to one backend; node-address clients are masqueraded", () => {
    const seen = new Set(backends(s.traffic.nodePortFromOutside));
    expect(seen.size).toBe(1);
    expect(["be1", "be2"]).toContain([...seen][0]!);
    for (const r of s.traffic.nodePortFromOutside) expect(r.seenFrom).toBe(s.gateways[r.backend]!);
    // A pod's connection to a node address is masqueraded too (its real server may be on another node).
    expect(s.traffic.nodePortFromPod.map((r) => r.backend === "error" ? "error" : r.seenFrom === s.gateways[r.backend])).toEqual([true, true]);
  });

  test("hairpin: a pod reaching itself through the VIP gets an answer (masqueraded); the other backend sees the pod", () => {
    expect(new Set(backends(s.traffic.hairpin))).toEqual(new Set(["be1", "be2"]));
    for (const r of s.traffic.hairpin) expect(r.seenFrom).toBe(r.backend === "be1" ? s.gateways.be1! : "10.42.1.2");
  });

  test("an endpoint change drains the removed real server (weight 0) and deletes it on the next pass", () => {
    // 2 ipvsadm ops (add be3, be1 to weight 0) + the masquerade table (be3 joins the hairpin set)
    expect(s.drained.report).toEqual({ changes: 3, pending: true });
    const web = s.drained.kernel.find((v) => v.address === "10.43.0.10")!;
    expect(web.realServers).toEqual([
      { address: "10.42.1.2", port: 8080, weight: 0 },
      { address: "10.42.2.2", port: 8080, weight: 1 },
      { address: "10.42.4.2", port: 8080, weight: 1 },
    ]);
    expect(new Set(backends(s.drained.afterDrain))).toEqual(new Set(["be2", "be3"]));

    expect(s.deleted.report).toEqual({ changes: 1, pending: false });
    expect(s.deleted.kernel).toEqual(s.deleted.planned);
    expect(s.unchanged.report).toEqual({ changes: 0, pending: false });
  });

  test("a batch line the kernel refuses throws though ipvsadm -R exits 0; the next pass repairs the table", () => {
    expect(s.refused.error).toBe("ipvsadm -R (2 ops) failed (exit 0): Scheduler or persistence engine not found");
    // ipvsadm went on after the refused line...
    expect(s.refused.kernel.map((v) => `${v.protocol}:${v.address}:${v.port}`)).toContain("tcp:10.43.0.30:80");
    // ...and the next apply of the real plan takes it out again.
    expect(s.refused.repairReport).toEqual({ changes: 2, pending: false });
    expect(s.refused.repaired).toEqual(s.deleted.planned);
  });

  test("clear() leaves no virtual server, no dummy interface and no masquerade table", () => {
    expect(s.cleared.save).toBe("");
    expect(s.cleared.onInterface.join(" ")).toContain("does not exist");
    expect(s.cleared.nftTables).not.toContain("table ip tug-ipvs");
  });

  test("the kernel console shows no oops or warning", () => {
    expect(run.console).not.toMatch(/Oops|BUG:|WARNING: CPU|Kernel panic|Call Trace/);
  });
});
