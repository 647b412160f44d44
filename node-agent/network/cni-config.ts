// The CNI network configuration list (conflist) of a node's pod network, as a
// pure plan: bridge + host-local IPAM over the node's pod CIDR, then portmap
// for hostPorts, then firewall. No I/O here; `cni.ts` executes the plan.

export const CNI_VERSION = "1.0.0";

/** One plugin entry of a conflist; `type` is the binary name in the plugin dir. */
export interface CniPluginConf {
  type: string;
  /** Runtime capabilities the plugin wants injected as `runtimeConfig` (CNI spec "capabilities"). */
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface CniConflist {
  cniVersion: string;
  name: string;
  plugins: CniPluginConf[];
}

export interface ConflistInput {
  /** CNI network name; also part of host-local's state path and of iptables chain hashes. */
  networkName: string;
  /** Linux bridge name, at most 15 characters (IFNAMSIZ - 1). */
  bridge: string;
  /** The node's pod CIDR, IPv4, e.g. 10.42.3.0/24. */
  podCidr: string;
  /** Where host-local keeps its leases; one per agent, so agents sharing a machine never share IPAM state. */
  ipamDataDir: string;
  mtu?: number;
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const NETWORK_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The pod CIDR's network address and prefix length; throws on anything that is not a usable IPv4 CIDR. */
export function parseIpv4Cidr(cidr: string): { network: string; prefix: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new Error(`pod CIDR ${JSON.stringify(cidr)} is not an IPv4 CIDR like 10.42.0.0/24`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) throw new Error(`pod CIDR ${cidr}: octet out of range`);
  // host-local needs room for the gateway (.1) and at least one pod.
  if (prefix < 8 || prefix > 29) throw new Error(`pod CIDR ${cidr}: prefix must be between /8 and /29`);
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (value % size !== 0) throw new Error(`pod CIDR ${cidr}: host bits are set (network address is not aligned to /${prefix})`);
  return { network: octets.join("."), prefix };
}

/**
 * The conflist for a node's pod network.
 * - bridge: `isGateway` puts the gateway address on the bridge (and enables
 *   ip_forward); `hairpinMode` lets a pod reach itself through its own hostPort.
 *   No `ipMasq`: it would NAT pod-to-pod traffic to other nodes too; pod-masquerade.ts
 *   NATs only what leaves the cluster's pod CIDR.
 * - portmap: hostPorts, with `snat` so 127.0.0.1:hostPort and hairpin work.
 * - firewall: Docker sets the FORWARD policy to DROP; this plugin adds the
 *   per-pod ACCEPT rules (CNI-FORWARD) without which pod traffic is dropped.
 */
export function planConflist(input: ConflistInput): CniConflist {
  if (!NETWORK_NAME.test(input.networkName)) throw new Error(`CNI network name ${JSON.stringify(input.networkName)} must be 1-64 of [A-Za-z0-9_.-]`);
  if (!IFNAME.test(input.bridge)) throw new Error(`bridge name ${JSON.stringify(input.bridge)} must be 1-15 of [A-Za-z0-9_.-]`);
  if (!input.ipamDataDir.startsWith("/")) throw new Error(`IPAM data dir ${JSON.stringify(input.ipamDataDir)} must be an absolute path`);
  if (input.mtu !== undefined && (!Number.isInteger(input.mtu) || input.mtu < 576 || input.mtu > 65535)) {
    throw new Error(`MTU ${input.mtu} must be an integer between 576 and 65535`);
  }
  const { network, prefix } = parseIpv4Cidr(input.podCidr);

  const bridge: CniPluginConf = {
    type: "bridge",
    bridge: input.bridge,
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ...(input.mtu !== undefined ? { mtu: input.mtu } : {}),
    ipam: {
      type: "host-local",
      ranges: [[{ subnet: `${network}/${prefix}` }]],
      routes: [{ dst: "0.0.0.0/0" }],
      dataDir: input.ipamDataDir,
    },
  };
  return {
    cniVersion: CNI_VERSION,
    name: input.networkName,
    plugins: [bridge, { type: "portmap", capabilities: { portMappings: true }, snat: true }, { type: "firewall" }],
  };
}
