// Pods reach the world through their node's address, and each other by
// their own: traffic from this node's pod CIDR is masqueraded only when it
// leaves the cluster's pod CIDR. (The bridge plugin's ipMasq would also NAT
// pod-to-pod traffic to other nodes, which hides pod IPs from each other.)
// One nft table per pod bridge, replaced atomically.

import { runCommand } from "../exec/command.ts";

/** The nft script for `bridge`'s pods; pure. */
export function planPodMasquerade(bridge: string, podCidr: string, clusterCidr: string): { table: string; script: string } {
  const table = `tug-pods-${bridge.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const script = [
    `table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    "\tchain postrouting {",
    "\t\ttype nat hook postrouting priority srcnat + 10; policy accept;",
    `\t\tip saddr ${podCidr} ip daddr != ${clusterCidr} masquerade`,
    "\t}",
    "}",
    "",
  ].join("\n");
  return { table, script };
}

export async function ensurePodMasquerade(bridge: string, podCidr: string, clusterCidr: string): Promise<void> {
  const { script } = planPodMasquerade(bridge, podCidr, clusterCidr);
  const r = await runCommand(["nft", "-f", "-"], { input: script, timeoutMs: 10_000 }).catch((e: unknown) => {
    throw new Error(`pods have no way off the node: ${e instanceof Error ? e.message : String(e)} (apt-get install nftables)`);
  });
  if (r.exitCode !== 0) throw new Error(`nft -f - (pod masquerade) failed (exit ${r.exitCode}): ${r.stderr.trim().split("\n")[0]}`);
}
