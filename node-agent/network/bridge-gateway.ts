// The pod bridge with its gateway address, made before the first pod: the
// node's DNS responder listens on that address, so it must exist even on a
// node with no pods yet. The CNI bridge plugin (isGateway) then finds the
// bridge and the address in place and keeps them.

import type { CommandRunner } from "../../ipvs/applier.ts";
import { parseIpv4Cidr } from "./cni-config.ts";

/** The gateway of a pod CIDR: its first address, as host-local hands it to the bridge. */
export function gatewayOf(podCidr: string): { address: string; prefix: number } {
  const { network, prefix } = parseIpv4Cidr(podCidr);
  const o = network.split(".").map(Number);
  const n = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) + 1;
  return { address: `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`, prefix };
}

/** Creates the bridge if missing, puts the gateway address on it, brings it up; returns the address. */
export async function ensureBridgeGateway(run: CommandRunner, bridge: string, podCidr: string): Promise<string> {
  const { address, prefix } = gatewayOf(podCidr);
  const ip = async (args: string[], okWhen?: RegExp) => {
    const r = await run(["ip", ...args]);
    if (r.exitCode !== 0 && !(okWhen && okWhen.test(r.stderr))) throw new Error(`ip ${args.join(" ")} failed (exit ${r.exitCode}): ${r.stderr.trim().split("\n")[0]}`);
  };
  await ip(["link", "add", bridge, "type", "bridge"], /File exists/);
  await ip(["addr", "replace", `${address}/${prefix}`, "dev", bridge]);
  await ip(["link", "set", bridge, "up"]);
  return address;
}
