// `tug agent --server URL`: composes a node agent (runtime driver, HTTP link,
// CNI network, offline cache, kubelet endpoint) and runs it until SIGINT or
// SIGTERM. `tug server` builds the same agent for its own machine.

import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import { NodeAgent } from "../node-agent/agent.ts";
import { MeshLink } from "../node-agent/link/mesh-link.ts";
import { meshLogsHandler } from "../node-agent/logs.ts";
import { joinCluster, readCredentials } from "./join.ts";
import { CniNetwork } from "../node-agent/network/cni.ts";
import { runCommand } from "../node-agent/exec/command.ts";
import type { ContainerRuntime } from "../node-agent/runtime/runtime.ts";
import { TUG_VERSION } from "./version.ts";

export type RuntimeChoice = "auto" | "containerd" | "docker";

export interface AgentOptions {
  /** Server URLs, tried in order (the next when one fails). */
  servers: string[];
  /** This node's credential (from join, or issued by an embedding server). */
  token: string;
  /** The CA of the server's certificate. */
  caPem: string;
  nodeName: string;
  dataDir: string;
  runtime: RuntimeChoice;
  /** containerd namespace (default "tug"). */
  containerdNamespace?: string;
  /** containerd socket (default /run/containerd/containerd.sock). */
  containerdAddress?: string;
  /** Bridge of the pod network (at most 15 characters; default tug0). */
  bridge?: string;
  /** Extra labels for the Node. */
  labels?: Record<string, string>;
  nodeStatusPeriodMs?: number;
  syncPeriodMs?: number;
  /** Services on this node (proxy, pod routes, DNS): "auto" picks IPVS or nftables; "off" programs nothing. Default off here, auto from the CLI. */
  serviceProxy?: ServiceProxyChoice;
  /** DNS responder port (default 53). */
  dnsPort?: number;
  log?: (line: string) => void;
}

export type ServiceProxyChoice = "auto" | "ipvs" | "nftables" | "off";

export interface RunningAgent {
  agent: NodeAgent;
  stop(): Promise<void>;
}

const CONTAINERD_SOCKET = "/run/containerd/containerd.sock";
const DOCKER_SOCKET = "/var/run/docker.sock";

/**
 * The driver asked for, or the first one installed (containerd, then Docker); containerd when neither is.
 * Only the chosen driver's code is loaded (memory on a small board).
 */
export async function chooseRuntime(opts: Pick<AgentOptions, "runtime" | "containerdNamespace" | "containerdAddress" | "dataDir">, log: (line: string) => void): Promise<ContainerRuntime> {
  const pick = opts.runtime !== "auto" ? opts.runtime : existsSync(CONTAINERD_SOCKET) || !existsSync(DOCKER_SOCKET) ? "containerd" : "docker";
  const stateDir = join(opts.dataDir, "runtime", pick);
  if (pick === "docker") {
    const { DockerRuntime } = await import("../node-agent/runtime/docker/docker-runtime.ts");
    return new DockerRuntime({ stateDir });
  }
  const { ContainerdRuntime } = await import("../node-agent/runtime/containerd/containerd-runtime.ts");
  return new ContainerdRuntime({ namespace: opts.containerdNamespace ?? "tug", address: opts.containerdAddress, stateDir, warn: log });
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const log = opts.log ?? ((line: string) => console.log(`agent ${opts.nodeName}: ${line}`));
  const runtime = await chooseRuntime(opts, log);
  const link = new MeshLink({ servers: opts.servers, nodeName: opts.nodeName, token: opts.token, caPem: opts.caPem, log });
  let agentRef: NodeAgent | undefined;
  // `kubectl logs` reaches the agent over the mesh.
  link.onLogsRequest(meshLogsHandler(() => agentRef));
  const agent = new NodeAgent({
    nodeName: opts.nodeName,
    dataDir: opts.dataDir,
    runtime,
    link,
    network: async (podCidr) => {
      if (process.getuid?.() !== 0) throw new Error("pod networking needs root (network namespaces, bridges, iptables)");
      return new CniNetwork({ networkName: `tug-${opts.bridge ?? "tug0"}`, bridge: opts.bridge ?? "tug0", podCidr, stateDir: join(opts.dataDir, "cni") });
    },
    syncPeriodMs: opts.syncPeriodMs,
    ...(opts.serviceProxy && opts.serviceProxy !== "off"
      ? {
          services: {
            run: runCommand,
            bridge: opts.bridge ?? "tug0",
            ...(opts.serviceProxy !== "auto" ? { proxyMode: opts.serviceProxy } : {}),
            ...(opts.dnsPort !== undefined ? { dnsPort: opts.dnsPort } : {}),
          },
        }
      : {}),
    node: {
      agentVersion: `tug-${TUG_VERSION}`,
      periodMs: opts.nodeStatusPeriodMs,
      labels: opts.labels,
    },
    log,
  });
  agentRef = agent;
  await agent.start();
  return { agent, stop: () => agent.stop() };
}

const HELP = `usage: tug join https://SERVER:6443 --token TUG10… [flags]       (first start on a new board)
       tug agent --server https://SERVER:6443 --token TUG10… [flags]  (the same)
       tug agent [flags]                                             (later starts: the stored credential)

  --node-name NAME    this node's name (default: the hostname)
  --data-dir DIR      agent state: credential, offline cache, pod volumes and logs (default /var/lib/tug/agent)
  --server URL        the server; repeat for several (the agent uses the next when one fails)
  --runtime NAME      containerd | docker | auto (default auto: containerd when installed, else Docker)
  --containerd-namespace NS   containerd namespace (default tug)
  --containerd-address SOCK   containerd socket (default /run/containerd/containerd.sock)
  --bridge NAME       bridge of the pod network (default tug0)
  --proxy-mode MODE   auto | ipvs | nftables | off: how Services are programmed (default auto: IPVS when the kernel has it)`;

export function proxyChoice(raw: string): ServiceProxyChoice {
  if (raw !== "auto" && raw !== "ipvs" && raw !== "nftables" && raw !== "off") throw new TugError("BadRequest", `--proxy-mode: must be auto, ipvs, nftables or off, not "${raw}"`);
  return raw;
}

export function runtimeChoice(raw: string): RuntimeChoice {
  if (raw !== "auto" && raw !== "containerd" && raw !== "docker") throw new TugError("BadRequest", `--runtime: must be containerd, docker or auto, not "${raw}"`);
  return raw;
}


export async function runAgent(args: string[], opts: { join?: boolean } = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      server: { type: "string", multiple: true },
      token: { type: "string" },
      "node-name": { type: "string" },
      "data-dir": { type: "string" },
      runtime: { type: "string", default: "auto" },
      "containerd-namespace": { type: "string" },
      "containerd-address": { type: "string" },
      bridge: { type: "string" },
      "proxy-mode": { type: "string", default: "auto" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: !!opts.join,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const servers = [...positionals, ...(values.server ?? [])].map((u) => u.replace(/\/+$/, ""));
  for (const u of servers) if (!/^https:\/\/[^/]+$/.test(u)) throw new TugError("BadRequest", `--server: not an https:// server URL: "${u}"`);
  const runtime = runtimeChoice(values.runtime);
  const serviceProxy = proxyChoice(values["proxy-mode"]);
  if (values.bridge !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(values.bridge)) throw new TugError("BadRequest", `--bridge: at most 15 letters, digits, '.', '_' or '-'`);
  const dataDir = values["data-dir"] ?? "/var/lib/tug/agent";
  // Handlers first: a signal during start-up still ends in a clean stop.
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  let creds = readCredentials(dataDir);
  if (values.token) {
    if (servers.length === 0) throw new TugError("BadRequest", "a join needs the server: tug join https://SERVER:6443 --token TUG10…");
    const nodeName = (values["node-name"] ?? hostname()).toLowerCase();
    creds = await joinCluster({ server: servers[0]!, joinToken: values.token, nodeName, dataDir });
    console.log(`joined ${servers[0]} as node ${nodeName}`);
  }
  if (!creds) throw new TugError("BadRequest", `no credential in ${dataDir}: join first (tug join https://SERVER:6443 --token TUG10…, from 'tug token create')`);
  if (values["node-name"] && values["node-name"].toLowerCase() !== creds.nodeName) {
    throw new TugError("BadRequest", `this data dir belongs to node ${creds.nodeName}; use another --data-dir to join as ${values["node-name"]}`);
  }
  const use = servers.length ? servers : creds.servers;
  const running = await startAgent({
    servers: use,
    token: creds.token,
    caPem: creds.caPem,
    nodeName: creds.nodeName,
    dataDir,
    runtime,
    containerdNamespace: values["containerd-namespace"],
    containerdAddress: values["containerd-address"],
    bridge: values.bridge,
    serviceProxy,
  });
  console.log(`tug agent ${TUG_VERSION}: node ${creds.nodeName}, servers ${use.join(", ")}`);
  await stopped;
  await running.stop();
  return 0;
}
