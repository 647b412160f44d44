// bench/mesh.ts: what the mesh costs the server with many agents, and how
// fast a Service's endpoint change reaches them all. The server runs as its
// own process (`tug server --disable-agent`) so its RSS and CPU are its own.
// The simulated agents are raw WebSockets in fleet processes (this file with
// --fleet, driven over IPC) speaking the mesh protocol: hello, snapshot, an
// ack for every delta, node-status at start and every 10 s like the real
// agent's heartbeat. Credentials come from the join flow (a bootstrap token,
// then POST /mesh/v1/join per agent). Per run: 20 merge-patches of one
// Endpoints object, each timed from the PATCH leaving this process (and from
// its answer) to the delta carrying its resourceVersion arriving at each
// agent (clocks: timeOrigin + now, sub-ms across processes); then the
// server's RSS and CPU over an idle window with every agent connected.
// Baseline side by side: the same server with 1 agent.
//
// One fleet process keeps up with 200 agents: with --procs 2 the spread from
// first to last agent is unchanged (it is the server's sends, not ours).
//
//   bun bench/mesh.ts [--runs 3] [--agents 200] [--updates 20] [--idle-seconds 30] [--procs 1]

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    agents: { type: "string", default: "200" },
    updates: { type: "string", default: "20" },
    "idle-seconds": { type: "string", default: "30" },
    procs: { type: "string", default: "1" },
    fleet: { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs);
const AGENTS = Number(values.agents);
const UPDATES = Number(values.updates);
const IDLE_SECONDS = Number(values["idle-seconds"]);
const PROCS = Number(values.procs);
const MAIN = resolve(import.meta.dir, "../cli/main.ts");
const TICKS = 100; // USER_HZ on Linux
const NS = "mesh-bench";
const HEARTBEAT_MS = 10_000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/** The nearest-rank percentile. */
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
const cpuTicks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]);
};

interface Server {
  url: string;
  pid: number;
  ca: string;
  adminToken: string;
  stop(): Promise<void>;
}

async function startServer(dir: string): Promise<Server> {
  const proc = Bun.spawn([process.execPath, MAIN, "server", "--data-dir", dir, "--bind", "127.0.0.1", "--port", "0", "--disable-agent"], { stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  const dec = new TextDecoder();
  let out = "";
  let port: string | undefined;
  while (!(port = /listening on [\d.]+:(\d+)/.exec(out)?.[1])) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${out}`);
    out += dec.decode(value, { stream: true });
  }
  // Keep draining its log (a line per join) so the server never blocks on a full pipe.
  void (async () => {
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return;
  })();
  return {
    url: `https://127.0.0.1:${port}`,
    pid: proc.pid,
    ca: readFileSync(join(dir, "tls/ca.crt"), "utf8"),
    adminToken: readFileSync(join(dir, "admin.token"), "utf8").trim(),
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

async function call(s: Server, method: string, path: string, body?: unknown, opts: { token?: string; contentType?: string } = {}): Promise<Record<string, unknown>> {
  const res = await fetch(s.url + path, {
    method,
    headers: { "content-type": opts.contentType ?? "application/json", authorization: `Bearer ${opts.token ?? s.adminToken}` },
    body: body === undefined ? undefined : JSON.stringify(body),
    tls: { ca: s.ca },
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Runs fn over items with at most `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** Milliseconds since the epoch, sub-millisecond: comparable across this process and the fleet's. */
const now = () => performance.timeOrigin + performance.now();

/**
 * The simulated agents of one fleet process: one WebSocket each, acking
 * every delta at once, and a record of when each delta (by resourceVersion)
 * reached how many of them.
 */
class Fleet {
  private readonly sockets: WebSocket[] = [];
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  /** rv -> arrival times at the agents so far. */
  private readonly arrivals = new Map<number, number[]>();
  private readonly waiters = new Map<number, () => void>();
  lastFrame = now();
  private closing = false;

  constructor(
    private readonly url: string,
    private readonly ca: string,
    private readonly lost: (node: string, why: string) => void,
  ) {}

  async connect(creds: { node: string; token: string; index: number }[]): Promise<void> {
    await pool(creds, 20, (c) => this.connectOne(c.node, c.token, c.index));
  }

  private connectOne(node: string, token: string, index: number): Promise<void> {
    const ws = new WebSocket(`${this.url.replace(/^https/, "wss")}/mesh/v1`, { headers: { authorization: `Bearer ${token}` }, tls: { ca: this.ca } });
    this.sockets.push(ws);
    const status = {
      addresses: [{ type: "InternalIP", address: `10.99.${index >> 8}.${index & 255}` }],
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "simulated by bench/mesh.ts" }],
      nodeInfo: { kubeletVersion: "bench", architecture: "arm64", operatingSystem: "linux" },
    };
    let id = 0;
    const nodeStatus = () => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: "node-status", id: ++id, labels: {}, annotations: {}, status }));
    return new Promise((resolve, reject) => {
      ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "hello", node })));
      ws.addEventListener("message", (ev) => {
        const at = now();
        this.lastFrame = at;
        const m = JSON.parse(ev.data as string) as { type: string; rv?: number; id?: number; error?: string };
        switch (m.type) {
          case "snapshot":
            nodeStatus();
            return;
          case "delta": {
            ws.send(`{"type":"ack","rv":${m.rv}}`);
            const list = this.arrivals.get(m.rv!) ?? [];
            list.push(at);
            this.arrivals.set(m.rv!, list);
            if (list.length === this.sockets.length) this.waiters.get(m.rv!)?.();
            return;
          }
          case "node":
            if (m.id === 1) {
              // Heartbeats from then on, spread over the period like independent boards.
              setTimeout(() => this.timers.push(setInterval(nodeStatus, HEARTBEAT_MS)), Math.random() * HEARTBEAT_MS);
              resolve();
            }
            return;
          case "done":
            if (m.error) reject(new Error(`node ${node}: ${m.error}`));
            return;
        }
      });
      ws.addEventListener("close", (ev) => {
        if (!this.closing) this.lost(node, `closed ${ev.code} ${ev.reason}`);
        reject(new Error(`node ${node}: closed ${ev.code} ${ev.reason}`));
      });
    });
  }

  /** Arrival times of the delta at `rv` once every agent of this fleet has it. */
  async all(rv: number, timeoutMs = 10_000): Promise<number[]> {
    if ((this.arrivals.get(rv)?.length ?? 0) < this.sockets.length) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`delta ${rv} reached ${this.arrivals.get(rv)?.length ?? 0}/${this.sockets.length} agents in ${timeoutMs} ms`)), timeoutMs);
        this.waiters.set(rv, () => {
          clearTimeout(t);
          resolve();
        });
      });
      this.waiters.delete(rv);
    }
    const times = this.arrivals.get(rv)!;
    this.arrivals.delete(rv);
    return times;
  }

  /** Resolves once no frame has arrived for `ms` (the node routes settle after the joins). */
  async quiet(ms: number): Promise<void> {
    while (now() - this.lastFrame < ms) await Bun.sleep(50);
  }

  close(): void {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    for (const ws of this.sockets) ws.close(1000, "bench done");
  }
}

/** What the parent asks a fleet process, and what it answers (same type, with the result). */
type Ask =
  | { type: "connect"; url: string; ca: string; creds: { node: string; token: string; index: number }[] }
  | { type: "all"; rv: number }
  | { type: "quiet"; ms: number }
  | { type: "cpu" }
  | { type: "close" };
type Answer = { type: Ask["type"]; times?: number[]; cpuMs?: number; error?: string } | { type: "lost"; node: string; why: string };

/** The child side: `bun bench/mesh.ts --fleet`, driven over IPC. */
function serveFleet(): void {
  let fleet: Fleet | undefined;
  const send = (a: Answer) => process.send!(a);
  process.on("message", async (ask: Ask) => {
    try {
      switch (ask.type) {
        case "connect":
          fleet = new Fleet(ask.url, ask.ca, (node, why) => send({ type: "lost", node, why }));
          await fleet.connect(ask.creds);
          return send({ type: "connect" });
        case "all":
          return send({ type: "all", times: await fleet!.all(ask.rv) });
        case "quiet":
          await fleet!.quiet(ask.ms);
          return send({ type: "quiet" });
        case "cpu": {
          const c = process.cpuUsage();
          return send({ type: "cpu", cpuMs: (c.user + c.system) / 1000 });
        }
        case "close":
          fleet?.close();
          send({ type: "close" });
          setTimeout(() => process.exit(0), 200);
          return;
      }
    } catch (e) {
      send({ type: ask.type, error: e instanceof Error ? e.message : String(e) });
    }
  });
}

/** The parent side of one fleet process. Asks are answered in order per type. */
class FleetProcess {
  private readonly proc: ReturnType<typeof Bun.spawn>;
  private readonly pending = new Map<string, ((a: Answer) => void)[]>();
  lost = 0;

  constructor() {
    this.proc = Bun.spawn([process.execPath, import.meta.path, "--fleet"], {
      stdout: "inherit",
      stderr: "inherit",
      ipc: (a: Answer) => {
        if (a.type === "lost") {
          this.lost++;
          console.error(`agent ${a.node}: ${a.why}`);
          return;
        }
        this.pending.get(a.type)?.shift()?.(a);
      },
    });
  }

  async ask(q: Ask): Promise<Answer & { times?: number[]; cpuMs?: number }> {
    const answer = new Promise<Answer>((resolve) => {
      const list = this.pending.get(q.type) ?? [];
      list.push(resolve);
      this.pending.set(q.type, list);
    });
    this.proc.send(q);
    const a = (await answer) as Answer & { times?: number[]; cpuMs?: number; error?: string };
    if (a.error) throw new Error(`fleet: ${q.type}: ${a.error}`);
    return a;
  }

  async close(): Promise<void> {
    await this.ask({ type: "close" }).catch(() => undefined);
    await this.proc.exited;
  }
}

interface RunResult {
  fromSend: number[];
  fromAnswer: number[];
  patchMs: number[];
  /** Milliseconds from the first agent to the last having a delta, per update. */
  spreadMs: number[];
  rssConnected: number;
  idleCpuPct: number;
  rssAfterIdle: number;
  /** CPU of the fleet processes during the updates, % of a core each (the agents must not be what is slow). */
  fleetCpuPct: number;
}

async function oneRun(agents: number, procs: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "tug-bench-mesh-"));
  const server = await startServer(dir);
  const fleets = Array.from({ length: Math.min(procs, agents) }, () => new FleetProcess());
  const everyone = async (q: Ask) => (await Promise.all(fleets.map((f) => f.ask(q)))).flatMap((a) => a.times ?? []);
  const fleetCpuMs = async () => (await Promise.all(fleets.map((f) => f.ask({ type: "cpu" })))).reduce((sum, a) => sum + (a.cpuMs ?? 0), 0);
  try {
    const boot = await call(server, "POST", "/tug/v1/bootstrap-tokens", { ttlSeconds: 600 });
    const bootstrap = `${boot.id}.${boot.secret}`;
    const names = Array.from({ length: agents }, (_, i) => `bench-a${String(i).padStart(3, "0")}`);
    const creds = await pool(names, 10, async (node, index) => ({ node, index, token: (await call(server, "POST", "/mesh/v1/join", { nodeName: node }, { token: bootstrap })).token as string }));
    await Promise.all(fleets.map((f, i) => f.ask({ type: "connect", url: server.url, ca: server.ca, creds: creds.filter((_, j) => j % fleets.length === i) })));
    // Each new Node gets a pod CIDR: a route delta to every agent (200 x 200); let that settle.
    await everyone({ type: "quiet", ms: 1500 });

    const rvOf = (o: Record<string, unknown>) => Number((o.metadata as { resourceVersion: string }).resourceVersion);
    await call(server, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    const svc = await call(server, "POST", `/api/v1/namespaces/${NS}/services`, { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { ports: [{ port: 80, targetPort: 8080 }] } });
    await everyone({ type: "all", rv: rvOf(svc) });
    const subsets = (k: number) => [{ addresses: [{ ip: `10.42.${k >> 8}.${k & 255}` }, { ip: "10.42.255.1" }], ports: [{ port: 8080 }] }];
    const ep = await call(server, "POST", `/api/v1/namespaces/${NS}/endpoints`, { apiVersion: "v1", kind: "Endpoints", metadata: { name: "web" }, subsets: subsets(0) });
    await everyone({ type: "all", rv: rvOf(ep) });
    await Bun.sleep(500);

    const r: RunResult = { fromSend: [], fromAnswer: [], patchMs: [], spreadMs: [], rssConnected: 0, idleCpuPct: 0, rssAfterIdle: 0, fleetCpuPct: 0 };
    const cpu0 = await fleetCpuMs();
    const wall0 = now();
    for (let k = 1; k <= UPDATES; k++) {
      const t0 = now();
      const patched = await call(server, "PATCH", `/api/v1/namespaces/${NS}/endpoints/web`, { subsets: subsets(k) }, { contentType: "application/merge-patch+json" });
      const t1 = now();
      const times = await everyone({ type: "all", rv: rvOf(patched) });
      r.patchMs.push(t1 - t0);
      r.fromSend.push(...times.map((t) => t - t0));
      r.fromAnswer.push(...times.map((t) => t - t1));
      r.spreadMs.push(Math.max(...times) - Math.min(...times));
      // Apart, so each update is timed alone (the acks of the last one are in).
      await Bun.sleep(100);
    }
    r.fleetCpuPct = ((await fleetCpuMs()) - cpu0) / (now() - wall0) / fleets.length * 100;

    await Bun.sleep(2000);
    r.rssConnected = rssMb(server.pid);
    const c0 = cpuTicks(server.pid);
    await Bun.sleep(IDLE_SECONDS * 1000);
    r.idleCpuPct = ((cpuTicks(server.pid) - c0) / TICKS / IDLE_SECONDS) * 100;
    r.rssAfterIdle = rssMb(server.pid);
    const lost = fleets.reduce((n, f) => n + f.lost, 0);
    if (lost) throw new Error(`${lost} agents lost their link during the run`);
    return r;
  } finally {
    await Promise.all(fleets.map((f) => f.close()));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const many: RunResult[] = [];
  const one: RunResult[] = [];
  for (let run = 0; run < RUNS; run++) {
    many.push(await oneRun(AGENTS, PROCS));
    one.push(await oneRun(1, 1));
    const m = many.at(-1)!;
    console.error(
      `run ${run + 1}/${RUNS}: ${AGENTS} agents p50 ${percentile(m.fromSend, 50).toFixed(1)} p99 ${percentile(m.fromSend, 99).toFixed(1)} max ${Math.max(...m.fromSend).toFixed(1)} ms; ` +
        `1 agent p99 ${percentile(one.at(-1)!.fromSend, 99).toFixed(1)} ms; fleet CPU during the updates ${m.fleetCpuPct.toFixed(1)} % per process`,
    );
  }

  const med = (rs: RunResult[], f: (r: RunResult) => number) => median(rs.map(f));
  const rows: [string, (r: RunResult) => number, string, number][] = [
    ["PATCH sent -> delta at an agent, p50", (r) => percentile(r.fromSend, 50), "ms", 1],
    ["PATCH sent -> delta at an agent, p99 (target < 100 ms)", (r) => percentile(r.fromSend, 99), "ms", 1],
    ["PATCH sent -> delta at an agent, max", (r) => Math.max(...r.fromSend), "ms", 1],
    ["PATCH answered -> delta at an agent, p50", (r) => percentile(r.fromAnswer, 50), "ms", 1],
    ["PATCH answered -> delta at an agent, p99", (r) => percentile(r.fromAnswer, 99), "ms", 1],
    ["PATCH round trip, median", (r) => median(r.patchMs), "ms", 1],
    ["first -> last agent per update, median", (r) => median(r.spreadMs), "ms", 1],
    ["server RSS, agents connected", (r) => r.rssConnected, "MB", 1],
    [`server RSS after ${IDLE_SECONDS} s idle`, (r) => r.rssAfterIdle, "MB", 1],
    [`server CPU, idle with agents connected (${IDLE_SECONDS} s)`, (r) => r.idleCpuPct, "% of a core", 2],
  ];
  console.log(`\n## bench/mesh.ts: ${RUNS} runs, ${UPDATES} Endpoints updates each, agents in ${PROCS} process(es); medians over runs of percentiles over updates x agents\n`);
  console.log(`| measure | ${AGENTS} agents | 1 agent (baseline) | ratio |`);
  console.log("|---|---|---|---|");
  for (const [label, f, unit, digits] of rows) {
    const a = med(many, f);
    const b = med(one, f);
    console.log(`| ${label} | ${a.toFixed(digits)} ${unit} | ${b.toFixed(digits)} ${unit} | ${a > 0 && b > 0 ? (a / b).toFixed(2) : "-"} |`);
  }
}

if (values.fleet) serveFleet();
else await main();
