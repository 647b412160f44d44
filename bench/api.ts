// bench/api.ts: the API server's speed and memory, as a table of medians over
// several runs, each beside the issue's target and a baseline measured on the
// same machine in the same run (a bare Bun.serve, with LMDB for writes, that
// does nothing else: the ceiling tug's own work is compared against).
//
//   npm run bench            (RUNS=5 by default; RUNS=3 for a quicker look)

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RUNS = Number(process.env.RUNS ?? 5);
const MAIN = join(import.meta.dir, "../cli/main.ts");
const BASELINE = join(import.meta.dir, "baseline-server.ts");

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** tug serves TLS with a bearer token (the baseline plain HTTP): credentials by origin, read from tug's data dir. */
const credentials = new Map<string, { token: string; ca: string }>();
function api(url: string, init: RequestInit = {}): Promise<Response> {
  const c = credentials.get(new URL(url).origin);
  if (!c) return fetch(url, init);
  return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${c.token}` }, tls: { ca: c.ca } });
}

async function spawn(args: string[], dataDir?: string): Promise<{ server: Server; startMs: number }> {
  const t0 = performance.now();
  const proc = Bun.spawn([process.execPath, ...args], { stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let out = "";
  while (!/listening on [\d.]+:(\d+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${out}`);
    out += new TextDecoder().decode(value);
  }
  const scheme = /listening on .*data in/.test(out) ? "https" : "http";
  const url = `${scheme}://127.0.0.1:${/listening on [\d.]+:(\d+)/.exec(out)![1]}`;
  if (scheme === "https" && dataDir) {
    const fs = require("node:fs");
    credentials.set(new URL(url).origin, { token: fs.readFileSync(`${dataDir}/admin.token`, "utf8").trim(), ca: fs.readFileSync(`${dataDir}/tls/ca.crt`, "utf8") });
  }
  while ((await api(`${url}/readyz`).catch(() => undefined))?.status !== 200) await Bun.sleep(1);
  const startMs = performance.now() - t0;
  reader.releaseLock();
  return {
    startMs,
    server: {
      url,
      pid: proc.pid,
      stop: async () => {
        proc.kill("SIGTERM");
        await proc.exited;
      },
    },
  };
}

function rssMB(pid: number): number {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Runs `total` requests with `concurrency` clients; returns requests per second. */
async function load(total: number, concurrency: number, one: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await one(next++);
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

const json = { "content-type": "application/json" };

async function creates(url: string, path: string, n: number, prefix: string): Promise<number> {
  return load(n, 50, async (i) => {
    const res = await api(`${url}${path}`, { method: "POST", headers: json, body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${prefix}-${i}` }, data: { i: String(i) } }) });
    if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  });
}

async function gets(url: string, path: (i: number) => string, n: number): Promise<number> {
  return load(n, 50, async (i) => {
    const res = await api(`${url}${path(i)}`);
    if (res.status !== 200) throw new Error(`get: ${res.status}`);
    await res.arrayBuffer();
  });
}

/** Median milliseconds from a write's acknowledgement to its event at each of 100 watchers. */
async function watchLatency(url: string): Promise<number> {
  const path = "/api/v1/namespaces/default/configmaps";
  const rv = ((await (await api(`${url}${path}?limit=1`)).json()) as any).metadata.resourceVersion;
  const arrivals = new Map<string, number[]>();
  const readers = await Promise.all(
    Array.from({ length: 100 }, async () => {
      const res = await api(`${url}${path}?watch=1&resourceVersion=${rv}&labelSelector=bench%3Dwatch`);
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let buf = "";
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) return;
          buf += dec.decode(value, { stream: true });
          let i: number;
          while ((i = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (!line) continue;
            const name = JSON.parse(line).object.metadata.name as string;
            const list = arrivals.get(name) ?? [];
            list.push(performance.now());
            arrivals.set(name, list);
          }
        }
      })();
      return reader;
    }),
  );
  const latencies: number[] = [];
  for (let k = 0; k < 20; k++) {
    const name = `watched-${k}-${Date.now()}`;
    const t0 = performance.now();
    await api(`${url}${path}`, { method: "POST", headers: json, body: JSON.stringify({ metadata: { name, labels: { bench: "watch" } } }) });
    while ((arrivals.get(name)?.length ?? 0) < 100) await Bun.sleep(0);
    latencies.push(...arrivals.get(name)!.map((t) => t - t0));
  }
  for (const r of readers) await r.cancel().catch(() => {});
  return median(latencies);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Row {
  metric: string;
  unit: string;
  tug: number[];
  baseline: number[];
  target: string;
}

async function main() {
  const rows: Record<string, Row> = {
    start: { metric: "cold start to /readyz", unit: "ms", tug: [], baseline: [], target: "< 300" },
    creates: { metric: "creates/s, 50 clients (durable)", unit: "/s", tug: [], baseline: [], target: "> 5,000" },
    gets: { metric: "gets/s, 50 clients", unit: "/s", tug: [], baseline: [], target: "> 20,000" },
    list: { metric: "LIST of 10,000 ConfigMaps", unit: "ms", tug: [], baseline: [], target: "" },
    watch: { metric: "watch latency, 100 watchers", unit: "ms", tug: [], baseline: [], target: "" },
    rssIdle: { metric: "RSS idle", unit: "MB", tug: [], baseline: [], target: "< 60" },
    rssLoad: { metric: "RSS after the load", unit: "MB", tug: [], baseline: [], target: "" },
  };
  for (let run = 0; run < RUNS; run++) {
    for (const which of ["tug", "baseline"] as const) {
      const dir = mkdtempSync(join(tmpdir(), `tug-bench-${which}-`));
      const args = which === "tug" ? [MAIN, "server", "--data-dir", dir, "--bind", "127.0.0.1", "--port", "0", "--disable-agent"] : [BASELINE, dir];
      const { server, startMs } = await spawn(args, which === "tug" ? dir : undefined);
      try {
        await Bun.sleep(300);
        rows.start![which].push(startMs);
        rows.rssIdle![which].push(rssMB(server.pid));
        const path = "/api/v1/namespaces/default/configmaps";
        rows.creates![which].push(await creates(server.url, path, 10_000, `c${run}`));
        rows.gets![which].push(await gets(server.url, (i) => `${path}/c${run}-${i % 10_000}`, 40_000));
        const t0 = performance.now();
        const list: any = await (await api(`${server.url}${path}`)).json();
        rows.list![which].push(performance.now() - t0);
        if (list.items.length !== 10_000) throw new Error(`${which} listed ${list.items.length}`);
        if (which === "tug") rows.watch!.tug.push(await watchLatency(server.url));
        rows.rssLoad![which].push(rssMB(server.pid));
      } finally {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1));
  const lines = [
    `tug API bench: ${RUNS} runs, medians; baseline = bare Bun.serve + LMDB doing only the I/O`,
    "",
    "| metric | tug | baseline | tug/baseline | target |",
    "|---|---|---|---|---|",
  ];
  for (const r of Object.values(rows)) {
    const t = median(r.tug);
    const b = r.baseline.length ? median(r.baseline) : NaN;
    lines.push(`| ${r.metric} | ${fmt(t)} ${r.unit} | ${Number.isNaN(b) ? "-" : `${fmt(b)} ${r.unit}`} | ${Number.isNaN(b) ? "-" : (t / b).toFixed(2)} | ${r.target} |`);
  }
  console.log(lines.join("\n"));
}

await main();
