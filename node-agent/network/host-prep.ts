// What the host needs before pod networking works: the CNI plugin binaries,
// IPv4 forwarding, and (reported, not changed) the br_netfilter state.

import { access, constants, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

const IP_FORWARD = "/proc/sys/net/ipv4/ip_forward";
const BRIDGE_NF_CALL_IPTABLES = "/proc/sys/net/bridge/bridge-nf-call-iptables";

/** Throws naming every missing or non-executable plugin and the package that provides them. */
export async function checkPlugins(pluginDir: string, types: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const type of new Set(types)) {
    try {
      await access(join(pluginDir, type), constants.X_OK);
    } catch {
      missing.push(type);
    }
  }
  if (missing.length > 0) {
    throw new Error(`CNI plugins missing or not executable in ${pluginDir}: ${missing.join(", ")} (apt-get install containernetworking-plugins)`);
  }
}

/**
 * Sets net.ipv4.ip_forward=1 when it is 0. The bridge plugin with isGateway
 * sets it too, but only during an ADD; setting it up front makes the first pod
 * routable and surfaces a read-only /proc (e.g. in an unprivileged container) early.
 */
export async function ensureIpForward(): Promise<void> {
  const now = (await readFile(IP_FORWARD, "utf8")).trim();
  if (now === "1") return;
  try {
    await writeFile(IP_FORWARD, "1\n");
  } catch (e) {
    throw new Error(`cannot enable IPv4 forwarding (${IP_FORWARD}=${now}); pods would have no route off the node`, { cause: e });
  }
}

/**
 * Whether bridged pod-to-pod traffic passes through iptables (br_netfilter).
 * Measured on Debian 12 with Docker: loaded, bridge-nf-call-iptables=1, and
 * Docker's FORWARD policy DROP then applies to pod-to-pod traffic on our bridge:
 * the firewall plugin's CNI-FORWARD rules are what let it through. Without
 * br_netfilter the bridged traffic skips iptables entirely, which also works for
 * pod networking. We report it rather than change it: the service proxy decides
 * whether it needs br_netfilter (hairpin to a VIP).
 */
export async function bridgeNetfilterState(): Promise<"on" | "off" | "not-loaded"> {
  try {
    return (await readFile(BRIDGE_NF_CALL_IPTABLES, "utf8")).trim() === "1" ? "on" : "off";
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "not-loaded";
    throw e;
  }
}
