// Which dataplane this node uses: IPVS when the kernel has it (after trying
// to load the module, as K3s does) and ipvsadm is installed, else the same
// plan as an nftables ruleset.

import { existsSync } from "node:fs";
import type { CommandRunner, ProxyApplier, ProxyMode } from "../../ipvs/applier.ts";
import { IpvsApplier } from "../../ipvs/ipvs-applier.ts";
import { NftApplier } from "../../ipvs/nft-applier.ts";

const IP_VS_PROC = "/proc/net/ip_vs";

export async function chooseProxyMode(run: CommandRunner, forced?: ProxyMode): Promise<{ mode: ProxyMode; why: string }> {
  if (forced) return { mode: forced, why: "chosen by flag" };
  if (!existsSync(IP_VS_PROC)) await run(["modprobe", "-q", "ip_vs"]).catch(() => undefined);
  if (!existsSync(IP_VS_PROC)) return { mode: "nftables", why: "the kernel has no IP_VS" };
  if (!Bun.which("ipvsadm")) return { mode: "nftables", why: "ipvsadm is not installed (apt-get install ipvsadm)" };
  return { mode: "ipvs", why: "the kernel has IP_VS" };
}

export function makeApplier(mode: ProxyMode, run: CommandRunner): ProxyApplier {
  return mode === "ipvs" ? new IpvsApplier({ run }) : new NftApplier({ run });
}
