// Removes the bridge plugin's per-pod masquerade chain when the plugin itself
// cannot. bridge DEL finds the pod's addresses by deleting eth0 inside the
// netns; when the netns is already gone it frees the IP but leaves the nat
// chain `CNI-<hash>` and its POSTROUTING jump behind (measured, RUNTIME.md §9).
// The names below are the plugin's own (containernetworking/plugins
// pkg/utils: FormatChainName, FormatComment; pkg/ip: TeardownIPMasq).

import { createHash } from "node:crypto";
import { CommandNotFound, runCommand, type CommandResult } from "../exec/command.ts";

const MAX_CHAIN_LENGTH = 28;
const IPTABLES_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };

/** `CNI-` + the first 24 hex chars of sha512(networkName + containerId). */
export function bridgeMasqChainName(networkName: string, containerId: string): string {
  return `CNI-${createHash("sha512").update(networkName + containerId).digest("hex")}`.slice(0, MAX_CHAIN_LENGTH);
}

/** Go's %q for the plain ASCII names we allow. */
const goQuote = (s: string) => JSON.stringify(s);

export function bridgeMasqComment(networkName: string, containerId: string): string {
  return `name: ${goQuote(networkName)} id: ${goQuote(containerId)}`;
}

async function iptables(args: string[]): Promise<CommandResult> {
  try {
    return await runCommand(["iptables", "-w", "5", "-t", "nat", ...args], { env: { ...process.env, ...IPTABLES_ENV } });
  } catch (e) {
    // Without iptables the bridge plugin cannot have made a chain: report a failed
    // command, which the chain lookup reads as "nothing leaked".
    if (e instanceof CommandNotFound) return { stdout: "", stderr: e.message, all: "", exitCode: 127, timedOut: false };
    throw e;
  }
}

/**
 * Deletes the POSTROUTING jump for each of `podIps` and the chain itself.
 * Idempotent: a chain that does not exist is success.
 */
export async function removeBridgeMasq(networkName: string, containerId: string, podIps: readonly string[]): Promise<void> {
  const chain = bridgeMasqChainName(networkName, containerId);
  if ((await iptables(["-S", chain])).exitCode !== 0) return; // no such chain: nothing leaked
  const comment = bridgeMasqComment(networkName, containerId);
  for (const ip of podIps) {
    // The plugin has used both "-s IP" and "-s IP/len" over its versions; iptables prints /32 for both.
    for (const source of [ip, `${ip}/32`]) {
      const rule = ["POSTROUTING", "-s", source, "-j", chain, "-m", "comment", "--comment", comment];
      if ((await iptables(["-C", ...rule])).exitCode === 0) await mustRun(["-D", ...rule]);
    }
  }
  await mustRun(["-F", chain]);
  await mustRun(["-X", chain]);
}

async function mustRun(args: string[]): Promise<void> {
  const r = await iptables(args);
  if (r.exitCode !== 0) throw new Error(`iptables -t nat ${args.join(" ")} failed (rc ${r.exitCode}): ${r.stderr.trim()}`);
}
