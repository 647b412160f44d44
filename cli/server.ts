// `tug server`: flags, data dir, and the composition of store, registry,
// controllers and API into one running server. Shuts down cleanly on
// SIGINT/SIGTERM: stop accepting, stop controllers, flush and close the store.

import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mkdirSync } from "node:fs";
import { systemClock } from "../core/clock.ts";
import { TugError } from "../core/errors.ts";
import { Registry } from "../core/registry/registry.ts";
import { LmdbStore } from "../api/store/lmdb-store.ts";
import { createApi } from "../api/server.ts";
import { writeAdminKubeconfig } from "../api/kubeconfig.ts";
import { ensureSystemNamespaces } from "../api/bootstrap.ts";
import { startControllers } from "./controllers.ts";
import { Informer } from "../core/informer/informer.ts";
import { NodeLifecycleController } from "../core/controllers/node-lifecycle/controller.ts";
import { TUG_VERSION } from "./version.ts";
import { portNumber, runtimeChoice, startAgent, type AgentOptions, type RunningAgent } from "./agent.ts";
import type { WatchTiming } from "../api/watch-stream.ts";

const HELP = `usage: tug server [flags]

  --data-dir DIR   where state lives (default $TUG_DATA_DIR, else /var/lib/tug as root, else ~/.local/share/tug)
  --bind ADDR      address to listen on (default 0.0.0.0)
  --port N         port to listen on (default 6443; 0 picks a free one)
  --node-monitor-grace-period SECONDS
                   a node silent this long turns Ready=Unknown and gets the unreachable taint (default 20)
  --default-toleration-seconds SECONDS
                   how long pods stay on a not-ready or unreachable node before eviction (default 30)
  --disable-controller-manager   run no controllers (an API server and store only)
  --disable-scheduler            do not schedule pods (bind them with another scheduler)
  --disable-agent                run no node agent for this machine (a control-plane-only server)
  --node-name NAME               this machine's node name (default: the hostname)
  --runtime NAME                 containerd | docker | auto (default auto)
  --kubelet-port N               port of the embedded agent's endpoint for logs (default 10250)`;

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TUG_DATA_DIR) return env.TUG_DATA_DIR;
  if (process.getuid?.() === 0) return "/var/lib/tug";
  return join(homedir(), ".local", "share", "tug");
}

export interface ServerOptions {
  dataDir: string;
  bind: string;
  port: number;
  watchTiming?: WatchTiming;
  /** A node silent this long is Ready=Unknown (default 20 s). */
  nodeGracePeriodMs?: number;
  /** How long pods tolerate an unreachable or not-ready node by default (default 30 s). */
  defaultTolerationSeconds?: number;
  disableControllerManager?: boolean;
  disableScheduler?: boolean;
  /** The embedded node agent for this machine; absent = none. */
  agent?: Omit<AgentOptions, "server" | "dataDir"> & { dataDir?: string };
}

export interface RunningServer {
  url: string;
  port: number;
  registry: Registry;
  kubeconfig: string;
  stop(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  mkdirSync(opts.dataDir, { recursive: true });
  const store = new LmdbStore({ path: join(opts.dataDir, "db") });
  // One informer feeds the controllers and answers the registry's namespace checks.
  const informer = new Informer(store);
  // Heartbeat-only node updates are not written; they reach the lifecycle controller directly.
  let heartbeat: (node: string) => void = () => undefined;
  const registry = new Registry(store, {
    cache: informer,
    clock: systemClock,
    defaultTolerationSeconds: opts.defaultTolerationSeconds,
    onNodeHeartbeat: (node) => heartbeat(node),
  });
  const controllers = await startControllers(registry, informer, systemClock, {
    nodeLifecycle: { gracePeriodMs: opts.nodeGracePeriodMs },
    disableControllerManager: opts.disableControllerManager,
    disableScheduler: opts.disableScheduler,
  });
  const lifecycle = controllers.controllers.find((c): c is NodeLifecycleController => c instanceof NodeLifecycleController);
  if (lifecycle) heartbeat = (node) => lifecycle.heartbeat(node);
  await ensureSystemNamespaces(registry);

  let ready = false;
  const platform = `linux/${process.arch === "x64" ? "amd64" : process.arch}`;
  const app = createApi({ registry, version: { gitVersion: TUG_VERSION, platform }, isReady: () => ready, watchTiming: opts.watchTiming });
  let server: ReturnType<typeof Bun.serve>;
  try {
    // Bodies are limited (with a Status) by the API; this is only the socket-level backstop.
    server = Bun.serve({ hostname: opts.bind, port: opts.port, fetch: app.fetch, idleTimeout: 0, maxRequestBodySize: 16 * 1024 * 1024 });
  } catch (e) {
    await controllers.stop();
    await store.close();
    const code = (e as { code?: string }).code;
    throw new TugError("ServiceUnavailable", `cannot listen on ${opts.bind}:${opts.port}: ${code === "EADDRINUSE" ? "the address is in use" : (e as Error).message}`);
  }
  const host = opts.bind === "0.0.0.0" || opts.bind === "::" ? "127.0.0.1" : opts.bind;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${server.port}`;
  const kubeconfig = writeAdminKubeconfig(opts.dataDir, url);
  let agent: RunningAgent | undefined;
  if (opts.agent) {
    try {
      agent = await startAgent({ ...opts.agent, server: url, dataDir: opts.agent.dataDir ?? join(opts.dataDir, "agent") });
    } catch (e) {
      // The API still serves; the node simply does not join (the log names why).
      console.error(`embedded agent not started: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  ready = true;
  let stopped = false;
  return {
    url,
    port: server.port ?? opts.port,
    registry,
    kubeconfig,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      ready = false;
      await agent?.stop();
      await server.stop(true);
      await controllers.stop();
      await store.close();
    },
  };
}

function seconds(raw: string, flag: string): number {
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new TugError("BadRequest", `${flag}: not a number of seconds: "${raw}"`);
  return Number(raw);
}

export async function runServer(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      "data-dir": { type: "string" },
      bind: { type: "string", default: "0.0.0.0" },
      port: { type: "string", default: "6443" },
      "node-monitor-grace-period": { type: "string", default: "20" },
      "default-toleration-seconds": { type: "string", default: "30" },
      "disable-controller-manager": { type: "boolean", default: false },
      "disable-scheduler": { type: "boolean", default: false },
      "disable-agent": { type: "boolean", default: false },
      "node-name": { type: "string" },
      runtime: { type: "string", default: "auto" },
      "kubelet-port": { type: "string", default: "10250" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) throw new TugError("BadRequest", `--port: not a port number: "${values.port}"`);
  // Handlers first: a signal during start-up still ends in a clean stop.
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  const dataDir = values["data-dir"] ?? defaultDataDir();
  const server = await startServer({
    dataDir,
    bind: values.bind,
    port,
    nodeGracePeriodMs: seconds(values["node-monitor-grace-period"], "--node-monitor-grace-period") * 1000,
    defaultTolerationSeconds: seconds(values["default-toleration-seconds"], "--default-toleration-seconds"),
    disableControllerManager: values["disable-controller-manager"],
    disableScheduler: values["disable-scheduler"],
    agent: values["disable-agent"]
      ? undefined
      : { nodeName: (values["node-name"] ?? hostname()).toLowerCase(), runtime: runtimeChoice(values.runtime), kubeletPort: portNumber(values["kubelet-port"], "--kubelet-port") },
  });
  console.log(`tug server ${TUG_VERSION} listening on ${values.bind}:${server.port}, data in ${dataDir}, kubeconfig ${server.kubeconfig}`);
  await stopped;
  await server.stop();
  console.log("tug server stopped");
  return 0;
}
