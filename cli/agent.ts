// `tug agent --server URL`: composes a node agent (runtime driver, HTTP link,
// CNI network, offline cache, kubelet endpoint) and runs it until SIGINT or
// SIGTERM. `tug server` builds the same agent for its own machine.

import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import { NodeAgent } from "../node-agent/agent.ts";
import { startKubeletServer } from "../node-agent/kubelet-server.ts";
import { HttpLink } from "../node-agent/link/http-link.ts";
import { CniNetwork } from "../node-agent/network/cni.ts";
import type { ContainerRuntime } from "../node-agent/runtime/runtime.ts";
import { TUG_VERSION } from "./version.ts";

export type RuntimeChoice = "auto" | "containerd" | "docker";

export interface AgentOptions {
  server: string;
  token?: string;
  nodeName: string;
  dataDir: string;
  runtime: RuntimeChoice;
  /** containerd namespace (default "tug"). */
  containerdNamespace?: string;
  /** containerd socket (default /run/containerd/containerd.sock). */
  containerdAddress?: string;
  /** Port of the agent's endpoint (logs); 0 picks a free one. Default 10250. */
  kubeletPort: number;
  /** Bridge of the pod network (at most 15 characters; default tug0). */
  bridge?: string;
  /** Extra labels for the Node. */
  labels?: Record<string, string>;
  nodeStatusPeriodMs?: number;
  syncPeriodMs?: number;
  log?: (line: string) => void;
}

export interface RunningAgent {
  agent: NodeAgent;
  kubeletPort: number;
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
  const link = new HttpLink({ server: opts.server, nodeName: opts.nodeName, token: opts.token, log });
  // The endpoint listens first: the Node the agent registers names its port.
  let agentRef: NodeAgent | undefined;
  const kubelet = startKubeletServer(() => agentRef, { port: opts.kubeletPort });
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
    node: {
      kubeletPort: kubelet.port,
      agentVersion: `tug-${TUG_VERSION}`,
      periodMs: opts.nodeStatusPeriodMs,
      labels: opts.labels,
    },
    log,
  });
  agentRef = agent;
  await agent.start();
  return {
    agent,
    kubeletPort: kubelet.port,
    stop: async () => {
      await kubelet.stop();
      await agent.stop();
    },
  };
}

const HELP = `usage: tug agent --server URL [flags]

  --server URL        the tug server (e.g. http://192.168.1.10:6443)
  --token TOKEN       credential for the server (until join tokens land: optional)
  --node-name NAME    this node's name (default: the hostname)
  --data-dir DIR      agent state: offline cache, pod volumes, logs (default /var/lib/tug/agent)
  --runtime NAME      containerd | docker | auto (default auto: containerd when installed, else Docker)
  --containerd-namespace NS   containerd namespace (default tug)
  --kubelet-port N    port of the agent's endpoint for logs (default 10250)
  --bridge NAME       bridge of the pod network (default tug0)`;

export function runtimeChoice(raw: string): RuntimeChoice {
  if (raw !== "auto" && raw !== "containerd" && raw !== "docker") throw new TugError("BadRequest", `--runtime: must be containerd, docker or auto, not "${raw}"`);
  return raw;
}

export function portNumber(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new TugError("BadRequest", `${flag}: not a port number: "${raw}"`);
  return n;
}

export async function runAgent(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: "string" },
      token: { type: "string" },
      "node-name": { type: "string" },
      "data-dir": { type: "string" },
      runtime: { type: "string", default: "auto" },
      "containerd-namespace": { type: "string" },
      "kubelet-port": { type: "string", default: "10250" },
      bridge: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.server) throw new TugError("BadRequest", "--server is required, e.g. tug agent --server http://SERVER:6443");
  if (!/^https?:\/\/[^/]+/.test(values.server)) throw new TugError("BadRequest", `--server: not an http(s) URL: "${values.server}"`);
  const runtime = runtimeChoice(values.runtime);
  const kubeletPort = portNumber(values["kubelet-port"], "--kubelet-port");
  if (values.bridge !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(values.bridge)) throw new TugError("BadRequest", `--bridge: at most 15 letters, digits, '.', '_' or '-'`);
  // Handlers first: a signal during start-up still ends in a clean stop.
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  const nodeName = (values["node-name"] ?? hostname()).toLowerCase();
  const running = await startAgent({
    server: values.server.replace(/\/+$/, ""),
    token: values.token,
    nodeName,
    dataDir: values["data-dir"] ?? "/var/lib/tug/agent",
    runtime,
    containerdNamespace: values["containerd-namespace"],
    kubeletPort,
    bridge: values.bridge,
  });
  console.log(`tug agent ${TUG_VERSION}: node ${nodeName}, server ${values.server}, endpoint :${running.kubeletPort}`);
  await stopped;
  await running.stop();
  return 0;
}
