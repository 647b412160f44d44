// A real 3-node tug cluster on one machine, for the e2e scenarios. Each node
// is a network namespace on a shared fabric with its own containerd; node 1
// runs `tug server` with its embedded agent, nodes 2 and 3 `tug join` with a
// token from `tug token create`, as boards do. The harness also pulls cables,
// cuts power and restarts processes, and tears everything down (also after a
// failed start), then lists whatever is left so a test can assert nothing is.

import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sandboxIdOf } from "../../node-agent/pods/pod-worker.ts";
import { eventually } from "../support.ts";
import { Fabric, must, netnsPath, pidsIn, sh } from "./fabric.ts";
import { NodeContainerd } from "./node-containerd.ts";

const MAIN = resolve(import.meta.dir, "../../cli/main.ts");
const BUN = process.execPath;
const UTS_DIR = "/run/tug/uts";

export interface ClusterOptions {
  /** Image tars every node's containerd gets before its agent starts. */
  images: string[];
  /** Seconds a silent node stays Ready (server flag; the server's default when absent). Agents report every 10 s: keep it above that. */
  nodeGraceSeconds?: number;
  /** Seconds pods tolerate an unreachable node (server flag; the server's default when absent). */
  tolerationSeconds?: number;
}

export interface ClusterNode {
  index: number;
  name: string;
  netns: string;
  ip: string;
  containerd: NodeContainerd;
  /** The agent's data dir (node 1: the server's embedded agent). */
  agentDir: string;
  proc?: ReturnType<typeof Bun.spawn>;
}

export interface ApiReply {
  status: number;
  body: any;
}

export class Cluster {
  readonly runId = Math.floor(Math.random() * 0xffff).toString(16).padStart(4, "0");
  readonly dir = mkdtempSync(join(tmpdir(), `tug-e2e-${this.runId}-`));
  readonly fabric = new Fabric(this.runId, 100 + (parseInt(this.runId, 16) % 150), 3);
  readonly nodes: ClusterNode[];
  readonly serverDir = join(this.dir, "server");
  url = "";
  private token = "";
  private ca = "";
  private readonly spawned: ReturnType<typeof Bun.spawn>[] = [];
  /** Every pod sandbox teardown found, so leftovers() can check their namespaces are gone. */
  private readonly sandboxesSeen = new Set<string>();

  constructor(readonly opts: ClusterOptions) {
    this.nodes = this.fabric.nodes.map((f, i) => ({
      index: i,
      name: `e2e-${this.runId}-${i + 1}`,
      netns: f.netns,
      ip: f.ip,
      containerd: new NodeContainerd(join(this.dir, `n${i + 1}`, "containerd"), f.netns, `tug-e2e-${this.runId}-n${i + 1}`),
      agentDir: i === 0 ? join(this.serverDir, "agent") : join(this.dir, `n${i + 1}`, "agent"),
    }));
    mkdirSync(join(this.dir, "logs"), { recursive: true });
  }

  node(i: number): ClusterNode {
    const n = this.nodes[i];
    if (!n) throw new Error(`no node ${i + 1}`);
    return n;
  }

  /** Builds the cluster; on failure the caller still runs teardown() (everything is recorded as it is made). */
  async start(): Promise<void> {
    await this.fabric.up();
    for (const n of this.nodes) {
      await n.containerd.start(this.logFile(`containerd-${n.index + 1}`));
      for (const tar of this.opts.images) await n.containerd.importImage(tar);
    }
    await this.startServer();
    const created = await sh(["nsenter", `--net=${netnsPath(this.node(0).netns)}`, BUN, MAIN, "token", "create", "--kubeconfig", join(this.serverDir, "admin.kubeconfig"), "--ttl", "1h"]);
    const joinToken = /--token (\S+)/.exec(created.out)?.[1];
    if (!joinToken) throw new Error(`tug token create printed no token: ${created.out} ${created.err}`);
    for (const n of this.nodes.slice(1)) this.spawnAgent(n, ["join", `https://${this.node(0).ip}:6443`, "--token", joinToken, "--node-name", n.name]);
    await this.waitReady(this.nodes.map((n) => n.name));
  }

  /** Node 1's `tug server` (with its embedded agent), waiting until it is ready. */
  async startServer(): Promise<void> {
    const n = this.node(0);
    n.proc = this.spawnIn(n.netns, `server-${Date.now()}`, [
      "server",
      "--data-dir", this.serverDir,
      "--port", "6443",
      "--node-name", n.name,
      "--runtime", "containerd",
      "--containerd-address", n.containerd.socket,
      "--containerd-namespace", n.containerd.namespace,
      "--proxy-mode", "nftables",
      ...(this.opts.nodeGraceSeconds ? ["--node-monitor-grace-period", String(this.opts.nodeGraceSeconds)] : []),
      ...(this.opts.tolerationSeconds ? ["--default-toleration-seconds", String(this.opts.tolerationSeconds)] : []),
    ]);
    const kubeconfig = join(this.serverDir, "admin.kubeconfig");
    await eventually(() => existsSync(kubeconfig), (ok) => ok, 30_000);
    const kc = JSON.parse(readFileSync(kubeconfig, "utf8"));
    this.url = `https://${n.ip}:6443`;
    this.token = kc.users[0].user.token;
    this.ca = Buffer.from(kc.clusters[0].cluster["certificate-authority-data"], "base64").toString();
    const ready = await eventually(() => this.api("GET", "/readyz").catch(() => ({ status: 0, body: {} })), (r) => r.status === 200, 30_000);
    if (ready.status !== 200) throw new Error(`tug server on ${n.netns} is not ready: see ${this.dir}/logs`);
  }

  /**
   * Stops the server with SIGTERM, or kills it outright with SIGKILL (a crash: no
   * goodbye to the agents). Its embedded agent goes with it; pods stay, as agents
   * leave them on purpose.
   */
  async stopServer(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    const p = this.node(0).proc;
    if (!p) return;
    p.kill(signal);
    await Promise.race([p.exited, Bun.sleep(10_000)]);
    p.kill("SIGKILL");
    await p.exited;
    this.node(0).proc = undefined;
  }

  /** A node agent with its stored credential (plus `extra`, e.g. a join). */
  spawnAgent(n: ClusterNode, first: string[] = ["agent"]): void {
    const c = n.containerd;
    n.proc = this.spawnIn(n.netns, `agent-${n.index + 1}-${Date.now()}`, [
      ...first,
      "--data-dir", n.agentDir,
      "--runtime", "containerd",
      "--containerd-address", c.socket,
      "--containerd-namespace", c.namespace,
      "--proxy-mode", "nftables",
    ]);
  }

  /** Power loss on node i (not the server's): every process on it dies at once, then its cable goes dead. */
  async powerOff(i: number): Promise<void> {
    const n = this.node(i);
    for (const pid of [...(await pidsIn(n.netns)), ...n.containerd.containerPids(), ...(await this.podPids(n))]) kill(pid, "SIGKILL");
    await n.proc?.exited;
    n.proc = undefined;
    await n.containerd.kill();
    await this.fabric.cut(i);
  }

  /** Node i powers back on: cable, containerd, then the agent with its stored credential. */
  async powerOn(i: number): Promise<void> {
    const n = this.node(i);
    await this.fabric.heal(i);
    await n.containerd.start(this.logFile(`containerd-${i + 1}-boot`));
    this.spawnAgent(n);
  }

  async waitReady(names: string[], timeoutMs = 90_000): Promise<void> {
    const r = await eventually(
      () => this.api("GET", "/api/v1/nodes"),
      (r) => names.every((n) => r.body.items?.some((i: any) => i.metadata.name === n && i.spec.podCIDR && isReady(i))),
      timeoutMs,
    );
    const missing = names.filter((n) => !r.body.items?.some((i: any) => i.metadata.name === n && isReady(i)));
    if (missing.length) throw new Error(`nodes not Ready: ${missing.join(", ")} (logs in ${this.dir}/logs)`);
  }

  async api(method: string, path: string, body?: unknown): Promise<ApiReply> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { "content-type": "application/json", authorization: `Bearer ${this.token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      tls: { ca: this.ca },
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, body: text.startsWith("{") ? JSON.parse(text) : {} };
  }

  /** One HTTP GET from node i's namespace, from a pod (its netns path), or from "host" (outside the cluster). */
  async get(from: number | "host" | string, url: string): Promise<string> {
    const enter = from === "host" ? [] : ["nsenter", `--net=${typeof from === "number" ? netnsPath(this.node(from).netns) : from}`];
    const r = await sh([...enter, "timeout", "3", "busybox", "wget", "-q", "-O", "-", url]);
    return r.code === 0 ? r.out.trim() : `error ${r.code}`;
  }

  /** The network namespace of a pod (as the agent names its sandbox). */
  podNetns(pod: any): string {
    return netnsPath(sandboxIdOf(pod.spec.nodeName, pod.metadata.uid));
  }

  /** Kills everything of this run and removes its state; safe to call after a partial start, and twice. */
  async teardown(): Promise<void> {
    if (process.env.TUG_E2E_LOGS && existsSync(join(this.dir, "logs"))) cpSync(join(this.dir, "logs"), process.env.TUG_E2E_LOGS, { recursive: true });
    for (const p of this.spawned) p.kill("SIGTERM");
    await Promise.race([Promise.all(this.spawned.map((p) => p.exited)), Bun.sleep(5000)]);
    for (const p of this.spawned) p.kill("SIGKILL");
    for (const n of this.nodes) {
      // Agents leave pods running on purpose (offline autonomy): power every node off for good.
      for (const pid of [...(await pidsIn(n.netns)), ...n.containerd.containerPids(), ...(await this.podPids(n))]) kill(pid, "SIGKILL");
      await n.containerd.kill();
      for (const id of this.sandboxIds(n)) {
        this.sandboxesSeen.add(id);
        if (existsSync(netnsPath(id))) await sh(["ip", "netns", "del", id]);
        await sh(["umount", join(UTS_DIR, id)]);
        rmSync(join(UTS_DIR, id), { force: true });
      }
    }
    await Bun.sleep(200);
    for (const n of this.nodes) await n.containerd.removeState();
    await this.fabric.down();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** What of this run is still there: namespaces, interfaces, processes, mounts, cgroups, files. */
  async leftovers(): Promise<string[]> {
    const left = await this.fabric.leftovers();
    for (const p of this.spawned) if (p.exitCode === null && p.signalCode === null) left.push(`process ${p.pid}`);
    for (const n of this.nodes) {
      left.push(...n.containerd.leftovers());
      for (const pid of n.containerd.containerPids()) left.push(`container process ${pid}`);
    }
    for (const id of this.sandboxesSeen) {
      if (existsSync(netnsPath(id))) left.push(`pod netns ${id}`);
      if (existsSync(join(UTS_DIR, id))) left.push(`pod uts ${id}`);
    }
    const mine = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && cmdline(Number(p)).includes(`e2e-${this.runId}`));
    left.push(...mine.map((p) => `process ${p}: ${cmdline(Number(p)).slice(0, 120)}`));
    if (existsSync(this.dir)) left.push(`directory ${this.dir}`);
    return left;
  }

  private spawnIn(netns: string, log: string, args: string[]): ReturnType<typeof Bun.spawn> {
    // nsenter, not `ip netns exec`: that one also gives the process its own mount namespace, and the
    // pod netns files the agent bind-mounts there would be invisible to containerd.
    const file = Bun.file(this.logFile(log));
    const p = Bun.spawn(["nsenter", `--net=${netnsPath(netns)}`, BUN, MAIN, ...args], { stdout: file, stderr: file });
    this.spawned.push(p);
    return p;
  }

  private logFile(name: string): string {
    return join(this.dir, "logs", `${name}.log`);
  }

  /** Sandboxes the node's agent recorded (its pods' network namespaces). */
  private sandboxIds(n: ClusterNode): string[] {
    const d = join(n.agentDir, "runtime", "containerd", "sandboxes");
    return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)) : [];
  }

  private async podPids(n: ClusterNode): Promise<number[]> {
    return (await Promise.all(this.sandboxIds(n).map((id) => pidsIn(id)))).flat();
  }
}

export function isReady(o: any): boolean {
  return !!o.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True");
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

export { must, sh };
