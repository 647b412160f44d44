// The IPVS dataplane applier: makes a node's kernel match a DataplanePlan.
// One pass, in this order, every step safe to repeat:
//   1. the kernel's table: /proc/net/ip_vs in one read, or `ipvsadm -Sn`
//      (one query per service, but it also loads ip_vs) while that file is
//      absent, and once to learn the tick rate of /proc's affinity timeouts;
//      then, once per applier, the IPVS sysctls;
//   2. the dummy interface holds exactly plan.vips as /32 (`ip -batch -`);
//   3. the masquerade table `ip tug-ipvs` (`nft -f -`, atomic), only when its
//      text changed since this applier last loaded it or the table is gone;
//   4. planIpvsDiff(kernel, plan) as ONE `ipvsadm -R` batch on stdin.
// The applier owns the node's whole IPVS table, as kube-proxy's IPVS mode
// does: a TCP/UDP virtual server that is not in the plan is deleted
// (firewall-mark services are left alone; the parser skips them).
// Effects go through the injected CommandRunner; errors are one line naming
// the command and its stderr.

import type { ApplyReport, CommandOutput, CommandRunner, DataplanePlan, ProxyApplier } from "./applier.ts";
import { planIpvsDiff } from "./ipvs-diff.ts";
import { IPVS_NFT_TABLE, planIpvsMasquerade, planIpvsMasqueradeRemoval } from "./ipvs-masquerade.ts";
import { parseIpvsadmSave, writeIpvsadmRestore } from "./ipvsadm-format.ts";
import { parseProcIpVs, PROC_IP_VS } from "./proc-ip-vs.ts";
import { realServerKey, virtualServerKey, type VirtualServer } from "./virtual-server.ts";

export const IPVS_DUMMY_INTERFACE = "tug-ipvs0";

/**
 * conntrack=1: IPVS connections keep their conntrack entry, without which the
 * masquerade rules never see them. expire_nodest_conn: a connection whose real
 * server was deleted is dropped at once instead of hanging. expire_quiescent_template:
 * a session-affinity client stuck to a drained (weight 0) real server moves on.
 */
export const IPVS_SYSCTLS = ["net.ipv4.vs.conntrack=1", "net.ipv4.vs.expire_nodest_conn=1", "net.ipv4.vs.expire_quiescent_template=1"];

const TIMEOUT_MS = 60_000;

export interface IpvsApplierOptions {
  run: CommandRunner;
  dummyInterface?: string;
  nftTable?: string;
}

export class IpvsApplier implements ProxyApplier {
  readonly mode = "ipvs" as const;
  private readonly run: CommandRunner;
  private readonly dev: string;
  private readonly table: string;
  /** Sysctls written and the interface set up by this applier (once; `ip link add` sets it up again). */
  private prepared = false;
  /** The ruleset this applier last loaded: not loaded again while it is the same and the table is there. */
  private lastRuleset: string | undefined;
  /** The kernel's CONFIG_HZ, learnt the first time /proc/net/ip_vs shows a persistent service. */
  private ticksPerSecond: number | undefined;

  constructor(options: IpvsApplierOptions) {
    this.run = options.run;
    this.dev = options.dummyInterface ?? IPVS_DUMMY_INTERFACE;
    this.table = options.nftTable ?? IPVS_NFT_TABLE;
  }

  private async kernelTable(): Promise<VirtualServer[]> {
    const proc = await this.run(["cat", PROC_IP_VS], { timeoutMs: TIMEOUT_MS });
    if (proc.exitCode !== 0) return this.ipvsadmTable();
    if (this.ticksPerSecond !== undefined) return parseProcIpVs(proc.stdout, this.ticksPerSecond);
    const inTicks = parseProcIpVs(proc.stdout);
    const sticky = inTicks.find((vs) => vs.persistent !== undefined);
    if (!sticky) return inTicks;
    // /proc gives the affinity timeout in kernel ticks: learn the tick rate once, from ipvsadm's seconds.
    const table = await this.ipvsadmTable();
    const seconds = table.find((vs) => virtualServerKey(vs) === virtualServerKey(sticky))?.persistent;
    if (seconds) this.ticksPerSecond = Math.round(sticky.persistent! / seconds);
    return table;
  }

  private async ipvsadmTable(): Promise<VirtualServer[]> {
    return parseIpvsadmSave((await this.check(["ipvsadm", "-Sn"])).stdout);
  }

  async apply(plan: DataplanePlan): Promise<ApplyReport> {
    const current = await this.kernelTable();
    if (!this.prepared) await this.check(["sysctl", "-w", ...IPVS_SYSCTLS]);
    let changes = await this.applyVips(plan.vips);
    this.prepared = true;

    const ruleset = planIpvsMasquerade(plan, { table: this.table });
    if (ruleset !== this.lastRuleset || !(await this.tablePresent())) {
      await this.check(["nft", "-f", "-"], ruleset);
      this.lastRuleset = ruleset;
      changes++;
    }

    const ops = planIpvsDiff(current, plan.virtualServers);
    if (ops.length > 0) {
      const argv = ["ipvsadm", "-R"];
      const out = await this.run(argv, { input: writeIpvsadmRestore(ops), timeoutMs: TIMEOUT_MS });
      // ipvsadm -R goes on after a failing line and still exits 0: any stderr is a failure.
      if (out.exitCode !== 0 || out.stderr.trim() !== "") throw commandError(argv, out, `${ops.length} ops`);
      changes += ops.length;
    }
    const wanted = new Set(plan.virtualServers.flatMap((vs) => vs.realServers.map((r) => `${virtualServerKey(vs)} ${realServerKey(r)}`)));
    const pending = ops.some((o) => o.op === "edit-real" && o.real.weight === 0 && !wanted.has(`${virtualServerKey(o.service)} ${realServerKey(o.real)}`));
    return { changes, pending };
  }

  /**
   * Clears the node's whole IPVS table (`ipvsadm -C`, see the ownership note
   * above), deletes the dummy interface and the masquerade table.
   */
  async clear(): Promise<void> {
    await this.check(["ipvsadm", "-C"]);
    const del = await this.run(["ip", "link", "del", this.dev], { timeoutMs: TIMEOUT_MS });
    if (del.exitCode !== 0 && !/Cannot find device|does not exist/.test(del.stderr)) throw commandError(["ip", "link", "del", this.dev], del);
    await this.check(["nft", "-f", "-"], planIpvsMasqueradeRemoval({ table: this.table }));
    this.lastRuleset = undefined;
    this.prepared = false;
  }

  /** Creates and brings up the dummy interface if needed, then makes its IPv4 addresses exactly vips/32. */
  private async applyVips(vips: string[]): Promise<number> {
    let changes = 0;
    const show = ["ip", "-o", "-4", "addr", "show", "dev", this.dev];
    let out = await this.run(show, { timeoutMs: TIMEOUT_MS });
    if (out.exitCode !== 0 && /does not exist|Cannot find device/.test(out.stderr)) {
      await this.check(["ip", "link", "add", this.dev, "type", "dummy"]);
      changes++;
      out = { stdout: "", stderr: "", exitCode: 0 };
    } else if (out.exitCode !== 0) {
      throw commandError(show, out);
    }
    if (changes > 0 || !this.prepared) await this.check(["ip", "link", "set", this.dev, "up"]);

    const have = new Set([...out.stdout.matchAll(/\binet (\S+)/g)].map((m) => m[1]!));
    const want = new Set(vips.map((v) => `${v}/32`));
    const lines = [
      ...[...have].filter((a) => !want.has(a)).map((a) => `address del ${a} dev ${this.dev}`),
      ...[...want].filter((a) => !have.has(a)).map((a) => `address add ${a} dev ${this.dev}`),
    ];
    if (lines.length > 0) await this.check(["ip", "-batch", "-"], `${lines.join("\n")}\n`);
    return changes + lines.length;
  }

  /** Whether the masquerade table is still in the kernel: its small postrouting chain is a cheap probe. */
  private async tablePresent(): Promise<boolean> {
    const r = await this.run(["nft", "list", "chain", "ip", this.table, "postrouting"], { timeoutMs: TIMEOUT_MS });
    return r.exitCode === 0;
  }

  private async check(argv: string[], input?: string): Promise<CommandOutput> {
    const out = await this.run(argv, { ...(input !== undefined ? { input } : {}), timeoutMs: TIMEOUT_MS });
    if (out.exitCode !== 0) throw commandError(argv, out);
    return out;
  }
}

function commandError(argv: string[], out: CommandOutput, what?: string): Error {
  const lines = (out.stderr.trim() || out.stdout.trim()).split("\n").filter((l) => l.trim() !== "");
  const shown = lines.slice(0, 3).join("; ") + (lines.length > 3 ? ` (+${lines.length - 3} more lines)` : "");
  return new Error(`${argv.join(" ")}${what ? ` (${what})` : ""} failed (exit ${out.exitCode}): ${shown}`);
}
