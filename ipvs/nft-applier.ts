// The nftables dataplane: keeps table `ip tug-svc` equal to the plan. The
// first apply (and any apply that finds the table gone) loads the whole table
// in one `nft -f -` transaction; later applies load only the difference from
// what this applier last loaded (bench/proxy.ts, 1000 services x 5
// endpoints: a one-endpoint change is a ~60 ms nft load instead of ~1 s for
// the whole table). Every load is atomic: a connection never sees half a plan.

import type { ApplyReport, CommandRunner, DataplanePlan, ProxyApplier } from "./applier.ts";
import { planNftTable, planNftUpdate, renderNftTable, type NftTable } from "./nftables-plan.ts";

export interface NftApplierOptions {
  run: CommandRunner;
  /** The table this applier owns (default "tug-svc"); nothing else is touched. */
  table?: string;
}

/** A full load at 1000 services takes about a second on a Pi-class core; leave room. */
const NFT_TIMEOUT_MS = 60_000;

export class NftApplier implements ProxyApplier {
  readonly mode = "nftables" as const;
  private readonly run: CommandRunner;
  private readonly table: string;
  /** What this applier last loaded, as text and as the model an update is computed from. */
  private loaded: { text: string; table: NftTable } | undefined;

  constructor(options: NftApplierOptions) {
    this.run = options.run;
    this.table = options.table ?? "tug-svc";
  }

  /**
   * Makes the table match the plan. Idempotent: when the plan renders to what
   * was last loaded and the table is still there it does nothing (changes 0),
   * so a periodic resync re-installs a table someone deleted. nftables has no
   * drain: a removed real server gets no new connections at once while
   * conntrack keeps the old ones, so nothing is ever pending.
   */
  async apply(plan: DataplanePlan): Promise<ApplyReport> {
    const vips = new Set(plan.vips);
    const nodeAddresses = [...new Set(plan.virtualServers.map((v) => v.address))].filter((a) => !vips.has(a));
    const table = planNftTable(plan.virtualServers, { table: this.table, podCidr: plan.clusterPodCidr, nodeAddresses });
    const text = renderNftTable(table);
    const last = this.loaded;
    const present = last !== undefined && (await this.tablePresent());
    if (last && present && last.text === text) return { changes: 0, pending: false };

    if (last && present) {
      // Should the kernel hold something else than we think (someone edited
      // the table), the update fails as a whole and the full load repairs it.
      const update = await this.run(["nft", "-f", "-"], { input: planNftUpdate(last.table, table), timeoutMs: NFT_TIMEOUT_MS });
      if (update.exitCode === 0) {
        this.loaded = { text, table };
        return { changes: 1, pending: false };
      }
    }
    this.loaded = undefined;
    await this.load(text);
    this.loaded = { text, table };
    return { changes: 1, pending: false };
  }

  /** Deletes the table; a table already gone is fine. */
  async clear(): Promise<void> {
    this.loaded = undefined;
    await this.load(`table ip ${this.table}\ndelete table ip ${this.table}\n`);
  }

  private async load(script: string): Promise<void> {
    const r = await this.run(["nft", "-f", "-"], { input: script, timeoutMs: NFT_TIMEOUT_MS });
    if (r.exitCode !== 0) throw new Error(`nft -f - (table ip ${this.table}) failed (exit ${r.exitCode}): ${firstError(r.stderr)}`);
  }

  /**
   * Whether our table is still in the kernel. Listing its set of dead
   * services is the cheapest probe found (8-25 ms at 1000 services, where
   * `nft list tables` takes 270-550 ms: it reads the whole ruleset).
   */
  private async tablePresent(): Promise<boolean> {
    const r = await this.run(["nft", "list", "set", "ip", this.table, "no-endpoint-services"], { timeoutMs: NFT_TIMEOUT_MS });
    return r.exitCode === 0;
  }
}

/** nft prints "FILE:LINE:COL: Error: what", then the offending line and carets. */
function firstError(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return lines.find((l) => l.includes("Error:")) ?? lines[0] ?? "(no output)";
}
