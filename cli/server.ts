// `tug server`: flags, data dir, and the composition of store, registry,
// controllers and API into one running server. Shuts down cleanly on
// SIGINT/SIGTERM: stop accepting, stop controllers, flush and close the store.

import { hostname, networkInterfaces } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mkdirSync, readFileSync } from "node:fs";
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
import { defaultDataDir } from "./data-dir.ts";
import { SecretCipher } from "../api/store/secret-cipher.ts";
import { ensureServerTls, localSans, renewIfNeeded, type TlsMaterial } from "../api/tls/certificates.ts";
import { ensureAdminToken } from "../api/auth/admin-token.ts";
import { TokenStore } from "../api/auth/token-store.ts";
import { ServiceAccountTokens } from "../api/auth/service-account-tokens.ts";
import { Authenticator } from "../api/auth/authenticator.ts";
import { ensureBootstrapPolicy } from "../api/auth/bootstrap-policy.ts";
import { PODS_BY_NODE } from "../core/informer/indexes.ts";
import { MeshHub, type MeshSocketData } from "../api/mesh/hub.ts";
import { nodeNameOf } from "../core/auth/user.ts";
import { DEFAULT_SERVICE_CIDR, parseServiceCidr } from "../core/registry/admission/service-allocation.ts";
import { firstAddress, KubernetesServiceController } from "../core/controllers/kubernetes-service-controller.ts";
import { parseDefaultRouteInterface, pickInternalIp } from "../node-agent/node-status/node-facts.ts";
import { proxyChoice, runtimeChoice, startAgent, type AgentOptions, type RunningAgent } from "./agent.ts";
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
  --proxy-mode MODE              auto | ipvs | nftables | off: the embedded agent's Service dataplane (default auto)
  --containerd-address SOCK      the embedded agent's containerd socket (default /run/containerd/containerd.sock)
  --containerd-namespace NS      the embedded agent's containerd namespace (default tug)
  --bridge NAME                  the embedded agent's pod network bridge (default tug0)
  --tls-san NAME                 an extra DNS name or IP for the serving certificate (repeatable)
  --service-cidr CIDR            where Service cluster IPs come from (default 10.43.0.0/16)
  --advertise-address IP         the address pods reach the API at (default: this machine's InternalIP)`;


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
  agent?: Omit<AgentOptions, "servers" | "dataDir" | "token" | "caPem"> & { dataDir?: string };
  /** Extra names and addresses for the serving certificate. */
  tlsSans?: string[];
  /** Where Service cluster IPs come from (default 10.43.0.0/16). */
  serviceCidr?: string;
  /** The address in the kubernetes Service's Endpoints (default: the bind address, else this machine's InternalIP). */
  advertiseAddress?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  registry: Registry;
  /** The server's shared informer (what its controllers see). */
  informer: Informer;
  kubeconfig: string;
  /** The CA that signed the serving certificate, and the admin's bearer token. */
  caPem: string;
  adminToken: string;
  tokens: TokenStore;
  stop(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  mkdirSync(opts.dataDir, { recursive: true });
  // Secrets are sealed before they reach LMDB; the key stays in the data dir.
  const store = new LmdbStore({ path: join(opts.dataDir, "db"), secretCipher: SecretCipher.open(opts.dataDir) });
  // One informer feeds the controllers and answers the registry's namespace checks.
  const informer = new Informer(store);
  // Heartbeat-only node updates are not written; they reach the lifecycle controller directly.
  let heartbeat: (node: string) => void = () => undefined;
  const registry = new Registry(store, {
    cache: informer,
    clock: systemClock,
    defaultTolerationSeconds: opts.defaultTolerationSeconds,
    ...(opts.serviceCidr ? { serviceCidr: opts.serviceCidr } : {}),
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
  await ensureBootstrapPolicy(registry);

  const tls = await ensureServerTls({ dir: join(opts.dataDir, "tls"), sans: localSans(serverSans(opts)) });
  const adminToken = ensureAdminToken(opts.dataDir);
  const tokens = new TokenStore({ registry, cache: informer });
  const serviceAccountTokens = await ServiceAccountTokens.open(opts.dataDir, { lookup: informer });
  const log = (line: string) => console.log(line);
  const authenticator = new Authenticator({
    adminToken,
    tokens,
    serviceAccounts: { verify: (t) => serviceAccountTokens.verify(t, new Date(systemClock.now())) },
    clock: systemClock,
    log,
  });
  // Agents connect here; heartbeats over the mesh stay in memory like heartbeat-only status updates.
  const hub = new MeshHub({
    registry,
    informer,
    authenticate: async (req) => {
      const user = await authenticator.authenticate(req, server?.requestIP(req)?.address ?? "mesh");
      const node = user ? nodeNameOf(user.name) : undefined;
      return node ? { node } : undefined;
    },
    onHeartbeat: (node) => heartbeat(node),
    log,
    // Pods' ServiceAccount token volumes: the agent asks, the hub issues for that node's pods only.
    serviceAccountTokens,
    caPem: tls.caCertPem,
  });
  // Deleting a Node is the admin's consent for another board to take its name.
  informer.on({
    delete: (o) => {
      if (o.kind !== "Node") return;
      hub.forget(o.metadata.name!);
      void tokens.revokeNodeCredential(o.metadata.name!).catch((e) => log(`revoking the credential of node ${o.metadata.name}: ${String(e)}`));
    },
  });
  let port = opts.port;
  const advertise = () => advertisedUrls(opts.bind, port);

  let ready = false;
  const platform = `linux/${process.arch === "x64" ? "amd64" : process.arch}`;
  const app = createApi({
    registry,
    version: { gitVersion: TUG_VERSION, platform },
    isReady: () => ready,
    watchTiming: opts.watchTiming,
    security: { authenticator, authorizer: { cache: informer, podsOnNode: (node) => informer.byIndex(PODS_BY_NODE, node) } },
    join: { tokens, clock: systemClock, caPem: tls.caCertPem, caHash: tls.caHash, advertise, log },
    serviceAccountTokens,
    hub,
  });
  let server: ReturnType<typeof Bun.serve<MeshSocketData>> | undefined;
  // reusePort: a renewed certificate is served by a new listener on the same port (Bun's reload keeps the old one).
  const listen = (material: TlsMaterial, onPort: number) =>
    Bun.serve<MeshSocketData>({
      hostname: opts.bind,
      port: onPort,
      reusePort: true,
      tls: { cert: material.certPem, key: material.keyPem },
      fetch: (req, srv) => (MeshHub.isMeshRequest(req) ? hub.handleUpgrade(req, srv) : app.fetch(req, { requestIP: (r: Request) => srv.requestIP(r) })),
      websocket: hub.websocket,
      idleTimeout: 0,
      maxRequestBodySize: 16 * 1024 * 1024,
    });
  try {
    // Bodies are limited (with a Status) by the API; this is only the socket-level backstop.
    server = listen(tls, opts.port);
  } catch (e) {
    await controllers.stop();
    await store.close();
    const code = (e as { code?: string }).code;
    throw new TugError("ServiceUnavailable", `cannot listen on ${opts.bind}:${opts.port}: ${code === "EADDRINUSE" ? "the address is in use" : (e as Error).message}`);
  }
  port = server.port ?? opts.port;
  // default/kubernetes needs the port we really listen on, so it starts after listen().
  if (!opts.disableControllerManager) {
    const kubernetesService = new KubernetesServiceController(controllers.context, {
      clusterIP: firstAddress(opts.serviceCidr ?? DEFAULT_SERVICE_CIDR),
      advertiseAddress: opts.advertiseAddress ?? advertiseAddress(opts.bind),
      port,
    });
    controllers.controllers.push(kubernetesService);
    kubernetesService.start();
  }
  // Twice a day: a serving certificate within 30 days of expiry (or missing a new address) is re-issued.
  let material = tls;
  const renewal = setInterval(() => {
    void renewIfNeeded(material, localSans(serverSans(opts)))
      .then((next) => {
        if (!next || stopped) return;
        material = next;
        const old = server!;
        server = listen(next, port);
        // Not awaited: open watches and mesh sockets finish on the old listener.
        void old.stop();
        log(`serving certificate renewed, valid until ${next.notAfter.toISOString()}`);
      })
      .catch((e) => log(`certificate renewal: ${e instanceof Error ? e.message : String(e)}`));
  }, 12 * 3600_000);
  const host = opts.bind === "0.0.0.0" || opts.bind === "::" ? "127.0.0.1" : opts.bind;
  const url = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const kubeconfig = writeAdminKubeconfig(opts.dataDir, url, { caPem: tls.caCertPem, token: adminToken });
  let agent: RunningAgent | undefined;
  if (opts.agent) {
    try {
      // This machine's own node: the server hands it a node credential directly (no join needed).
      const token = await tokens.issueNodeCredential(opts.agent.nodeName, { consent: true });
      agent = await startAgent({ ...opts.agent, servers: [url], token, caPem: tls.caCertPem, dataDir: opts.agent.dataDir ?? join(opts.dataDir, "agent") });
    } catch (e) {
      // The API still serves; the node simply does not join (the log names why).
      console.error(`embedded agent not started: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  ready = true;
  let stopped = false;
  return {
    url,
    port,
    registry,
    informer,
    kubeconfig,
    caPem: tls.caCertPem,
    adminToken,
    tokens,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      ready = false;
      await agent?.stop();
      hub.close();
      clearInterval(renewal);
      await server!.stop(true);
      await controllers.stop();
      await store.close();
    },
  };
}

/** The address pods and boards reach this server at: the bind address, else this machine's InternalIP. */
function advertiseAddress(bind: string): string {
  if (bind !== "0.0.0.0" && bind !== "::") return bind;
  let route = "";
  try {
    route = readFileSync("/proc/net/route", "utf8");
  } catch {
    // Not Linux: fall back to the first non-loopback address.
  }
  return pickInternalIp(networkInterfaces(), route ? parseDefaultRouteInterface(route) : undefined) ?? "127.0.0.1";
}

/** https URLs boards on the network can use: the bind address, or every non-loopback IPv4 address. */
function advertisedUrls(bind: string, port: number): string[] {
  const hosts =
    bind === "0.0.0.0" || bind === "::"
      ? Object.values(networkInterfaces())
          .flat()
          .filter((a) => a && a.family === "IPv4" && !a.internal)
          .map((a) => a!.address)
      : [bind];
  return hosts.map((h) => `https://${h.includes(":") ? `[${h}]` : h}:${port}`);
}

/** --tls-san extras plus the names pods use for the API: the kubernetes Service's IP and DNS names. */
function serverSans(opts: ServerOptions): string[] {
  const svc = ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];
  return [...(opts.tlsSans ?? []), firstAddress(opts.serviceCidr ?? DEFAULT_SERVICE_CIDR), ...svc, ...(opts.advertiseAddress ? [opts.advertiseAddress] : [])];
}

function ipv4Flag(raw: string, flag: string): string {
  const ok = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(raw)?.slice(1).every((o) => Number(o) <= 255);
  if (!ok) throw new TugError("BadRequest", `${flag}: not an IPv4 address: "${raw}"`);
  return raw;
}

function bridgeFlag(raw: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(raw)) throw new TugError("BadRequest", `--bridge: at most 15 letters, digits, '.', '_' or '-'`);
  return raw;
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
      "proxy-mode": { type: "string", default: "auto" },
      "containerd-address": { type: "string" },
      "containerd-namespace": { type: "string" },
      bridge: { type: "string" },
      "tls-san": { type: "string", multiple: true },
      "service-cidr": { type: "string" },
      "advertise-address": { type: "string" },
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
    tlsSans: values["tls-san"] ?? [],
    ...(values["service-cidr"] ? { serviceCidr: parseServiceCidr(values["service-cidr"]) && values["service-cidr"] } : {}),
    ...(values["advertise-address"] ? { advertiseAddress: ipv4Flag(values["advertise-address"], "--advertise-address") } : {}),
    agent: values["disable-agent"]
      ? undefined
      : {
          nodeName: (values["node-name"] ?? hostname()).toLowerCase(),
          runtime: runtimeChoice(values.runtime),
          serviceProxy: proxyChoice(values["proxy-mode"]),
          ...(values["containerd-address"] ? { containerdAddress: values["containerd-address"] } : {}),
          ...(values["containerd-namespace"] ? { containerdNamespace: values["containerd-namespace"] } : {}),
          ...(values.bridge ? { bridge: bridgeFlag(values.bridge) } : {}),
        },
  });
  console.log(`tug server ${TUG_VERSION} listening on ${values.bind}:${server.port}, data in ${dataDir}, kubeconfig ${server.kubeconfig}`);
  await stopped;
  await server.stop();
  console.log("tug server stopped");
  return 0;
}
