// bench/agent.ts: what the node agent costs and how fast it starts pods, on
// real containerd. A tug server runs in this process; `tug agent` runs as its
// own process so its RSS and CPU are its own. Per run: idle RSS, idle CPU over
// a window, time from a Pod created bound to the node to Running (20 pods, one
// at a time), and RSS with those 20 pods running. Baselines side by side: a
// bare Bun process's RSS, and `ctr run -d` of the same image (no netns/CNI).
//
//   bun bench/agent.ts [--runs 3] [--cpu-seconds 60] [--pods 20]

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startServer } from "../cli/server.ts";
import { sandboxIdOf } from "../node-agent/pods/pod-worker.ts";
import { formatJoinToken } from "../core/auth/join-token.ts";
import { caHashOfPem } from "../api/tls/certificates.ts";
import { TEST_IMAGE, testImageTar } from "../test/node-agent/test-image.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, "cpu-seconds": { type: "string", default: "60" }, pods: { type: "string", default: "20" } } });
const RUNS = Number(values.runs);
const CPU_SECONDS = Number(values["cpu-seconds"]);
const PODS = Number(values.pods);
const MAIN = resolve(import.meta.dir, "../cli/main.ts");
const TICKS = 100; // USER_HZ on Linux

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const statusMb = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
const rssMb = (pid: number) => statusMb(pid, "VmRSS");
// Most of a Bun process's RSS is the runtime's own text, mapped from its file
// (shared with the server on the same board, dropped under memory pressure);
// RssAnon is what the process itself allocated.
const anonMb = (pid: number) => statusMb(pid, "RssAnon");
const cpuTicks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]);
};

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await Bun.sleep(20);
  }
}

interface RunResult {
  idleRss: number;
  idleAnon: number;
  idleCpuPct: number;
  startMs: number[];
  rssWithPods: number;
}

async function oneRun(run: number): Promise<RunResult> {
  const serverDir = mkdtempSync(join(tmpdir(), "tug-bench-server-"));
  const agentDir = mkdtempSync(join(tmpdir(), "tug-bench-agent-"));
  const node = `bench-${process.pid}-${run}`;
  const ns = `tug-bench-${process.pid}`;
  const bridge = `tgb${process.pid % 10000}`;
  const server = await startServer({ dataDir: serverDir, bind: "127.0.0.1", port: 0 });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { "content-type": "application/json", authorization: `Bearer ${server.adminToken}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      tls: { ca: server.caPem },
    });
    return (await res.json()) as any;
  };
  Bun.spawnSync(["ctr", "-n", ns, "images", "import", await testImageTar()]);
  const { id, secret } = await server.tokens.createBootstrapToken({ ttlSeconds: 600, now: Date.now() });
  const joinToken = formatJoinToken({ caHash: caHashOfPem(server.caPem), id, secret });
  const agent = Bun.spawn([process.execPath, MAIN, "join", server.url, "--token", joinToken, "--node-name", node, "--data-dir", agentDir, "--runtime", "containerd", "--containerd-namespace", ns, "--bridge", bridge], {
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    await waitFor(() => call("GET", `/api/v1/nodes/${node}`), (n) => !!n.spec?.podCIDR && n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"));
    await Bun.sleep(5000);
    const idleRss = rssMb(agent.pid);
    const idleAnon = anonMb(agent.pid);
    const t0 = cpuTicks(agent.pid);
    await Bun.sleep(CPU_SECONDS * 1000);
    const idleCpuPct = ((cpuTicks(agent.pid) - t0) / TICKS / CPU_SECONDS) * 100;
    const startMs: number[] = [];
    for (let i = 0; i < PODS; i++) {
      const t = performance.now();
      await call("POST", "/api/v1/namespaces/default/pods", {
        metadata: { name: `b${i}` },
        spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: "app", image: TEST_IMAGE, command: ["sleep", "3600"] }] },
      });
      await waitFor(() => call("GET", `/api/v1/namespaces/default/pods/b${i}`), (p) => p.status?.phase === "Running");
      startMs.push(performance.now() - t);
    }
    await Bun.sleep(5000);
    const rssWithPods = rssMb(agent.pid);
    const uids = (await call("GET", "/api/v1/namespaces/default/pods")).items.map((p: any) => p.metadata.uid as string);
    await call("DELETE", "/api/v1/namespaces/default/pods");
    // Gone means containers and sandboxes (netns) both.
    await waitFor(
      async () => Bun.spawnSync(["ctr", "-n", ns, "containers", "ls", "-q"]).stdout.toString().trim() + uids.filter((u: string) => existsSync(`/var/run/netns/${sandboxIdOf(node, u)}`)).join(),
      (s) => s === "",
      120_000,
    );
    return { idleRss, idleAnon, idleCpuPct, startMs, rssWithPods };
  } finally {
    agent.kill("SIGTERM");
    await agent.exited;
    await server.stop();
    Bun.spawnSync(["ip", "link", "del", bridge]);
    Bun.spawnSync(["nft", "delete", "table", "ip", `tug-pods-${bridge}`]);
    rmSync(serverDir, { recursive: true, force: true });
    rmSync(agentDir, { recursive: true, force: true });
  }
}

async function baseline(): Promise<{ bunRss: number; bunAnon: number; ctrRunMs: number }> {
  const bare = Bun.spawn([process.execPath, "-e", "setInterval(() => {}, 1000)"], { stdout: "ignore" });
  await Bun.sleep(2000);
  const bunRss = rssMb(bare.pid);
  const bunAnon = anonMb(bare.pid);
  bare.kill();
  const ns = `tug-bench-${process.pid}`;
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const id = `bench-base-${process.pid}-${i}`;
    const t = performance.now();
    Bun.spawnSync(["ctr", "-n", ns, "run", "-d", "--null-io", TEST_IMAGE, id, "sleep", "3600"]);
    times.push(performance.now() - t);
    Bun.spawnSync(["ctr", "-n", ns, "tasks", "kill", "-s", "SIGKILL", id]);
    await Bun.sleep(100);
    Bun.spawnSync(["ctr", "-n", ns, "tasks", "delete", id]);
    Bun.spawnSync(["ctr", "-n", ns, "containers", "delete", id]);
  }
  return { bunRss, bunAnon, ctrRunMs: median(times) };
}

const results: RunResult[] = [];
for (let r = 0; r < RUNS; r++) {
  results.push(await oneRun(r));
  console.error(`run ${r + 1}/${RUNS} done`);
}
const base = await baseline();
Bun.spawnSync(["ctr", "-n", `tug-bench-${process.pid}`, "images", "rm", "--sync", TEST_IMAGE]);
Bun.spawnSync(["ctr", "namespaces", "rm", `tug-bench-${process.pid}`]);

const idleRss = median(results.map((r) => r.idleRss));
const start = median(results.flatMap((r) => r.startMs));
console.log(`\n## bench/agent.ts: ${RUNS} runs, ${PODS} pods each, containerd (medians)\n`);
console.log("| measure | tug agent | baseline | ratio |");
console.log("|---|---|---|---|");
console.log(`| idle RSS (target < 45 MB) | ${idleRss.toFixed(1)} MB | bare Bun ${base.bunRss.toFixed(1)} MB | ${(idleRss / base.bunRss).toFixed(2)} |`);
const idleAnon = median(results.map((r) => r.idleAnon));
console.log(`| idle private memory (RssAnon) | ${idleAnon.toFixed(1)} MB | bare Bun ${base.bunAnon.toFixed(1)} MB | ${(idleAnon / base.bunAnon).toFixed(2)} |`);
console.log(`| RSS with ${PODS} pods running | ${median(results.map((r) => r.rssWithPods)).toFixed(1)} MB | | |`);
console.log(`| Pod created bound -> Running (median of ${PODS * RUNS}) | ${start.toFixed(0)} ms | ctr run -d ${base.ctrRunMs.toFixed(0)} ms | ${(start / base.ctrRunMs).toFixed(1)} |`);
console.log(`| CPU at idle over ${CPU_SECONDS} s | ${median(results.map((r) => r.idleCpuPct)).toFixed(2)} % of a core | | |`);
