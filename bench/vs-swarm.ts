// bench/vs-swarm.ts: the same job done by tug and by Docker Swarm on this
// machine, side by side: deploy N replicas -> all running (N = 10, 50), scale
// 50 -> 100, roll an image update across 50 replicas, and the orchestrator's
// own memory (tug server with its embedded agent vs dockerd in swarm mode;
// containerd and shims excluded in both). Both run the same busybox image
// (`docker load` for Swarm, `tug image import` for tug), with no service
// load balancing on either side (the kernel has no IP_VS: Swarm services use
// dnsrr, tug runs with --proxy-mode off). Rolling updates go one replica at a
// time, new before old, on both. tug runs in its own network namespace (its
// pod bridge and routes stay off the host); Swarm uses this machine's dockerd,
// which leaves swarm mode again at the end.
//
//   bun bench/vs-swarm.ts

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildBusyboxImage } from "../node-agent/images/image-archive.ts";

const MAIN = resolve(import.meta.dir, "../cli/main.ts");
const IMAGES = ["tug.bench/busybox:1", "tug.bench/busybox:2"] as const;
const COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"];
const id = process.pid % 10000;
const netns = `tugvs-${id}`;
const hostVeth = `tvs${id}`;
const ctrNamespace = `tug-vs-${id}`;
const serverIp = "198.19.251.2";
const dir = mkdtempSync(join(tmpdir(), "tug-vs-swarm-"));
// Outside `dir` (removed at the end) so a failed run can be read; removed after a good one.
const serverLog = join(tmpdir(), `tug-vs-swarm-server-${process.pid}.log`);

async function sh(cmd: string[], opts: { ok?: boolean } = {}): Promise<string> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  if ((await p.exited) !== 0 && !opts.ok) throw new Error(`${cmd.join(" ")}: ${err.trim()}`);
  return out;
}
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
async function timed(start: () => Promise<unknown>, done: () => Promise<boolean>, limitMs = 300_000): Promise<number> {
  const t = performance.now();
  await start();
  while (!(await done())) {
    if (performance.now() - t > limitMs) throw new Error(`not done after ${limitMs} ms`);
    await Bun.sleep(100);
  }
  return performance.now() - t;
}

// ---- tug ----
let server: ReturnType<typeof Bun.spawn> | undefined;
let token = "";
let ca = "";
async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`https://${serverIp}:6443${path}`, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
    tls: { ca },
  });
  return res.json();
}
const deployment = (name: string, replicas: number, image: string) => ({
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "app", image, command: COMMAND }] } },
  },
});
async function tugRunning(name: string, n: number, image: string): Promise<boolean> {
  const pods = (await api("GET", `/api/v1/namespaces/default/pods?labelSelector=app%3D${name}`)).items as any[];
  const running = pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === "Running" && p.spec.containers[0].image === image);
  return running.length === n && pods.length === n;
}
async function tugSetReplicas(name: string, n: number, image: string): Promise<void> {
  const d = await api("GET", `/apis/apps/v1/namespaces/default/deployments/${name}`);
  d.spec.replicas = n;
  d.spec.template.spec.containers[0].image = image;
  await api("PUT", `/apis/apps/v1/namespaces/default/deployments/${name}`, d);
}
async function tugDelete(name: string): Promise<void> {
  await api("DELETE", `/apis/apps/v1/namespaces/default/deployments/${name}`);
  const end = Date.now() + 180_000;
  while ((await api("GET", `/api/v1/namespaces/default/pods?labelSelector=app%3D${name}`)).items.length > 0 && Date.now() < end) await Bun.sleep(500);
}

async function tugUp(tars: string[]): Promise<void> {
  await sh(["ip", "netns", "add", netns]);
  await sh(["ip", "link", "add", hostVeth, "type", "veth", "peer", "name", "eth0", "netns", netns]);
  await sh(["ip", "addr", "add", "198.19.251.1/30", "dev", hostVeth]);
  await sh(["ip", "link", "set", hostVeth, "up"]);
  await sh(["ip", "-n", netns, "addr", "add", `${serverIp}/30`, "dev", "eth0"]);
  await sh(["ip", "-n", netns, "link", "set", "eth0", "up"]);
  await sh(["ip", "-n", netns, "link", "set", "lo", "up"]);
  await sh(["ip", "-n", netns, "route", "add", "default", "via", "198.19.251.1"]);
  for (const tar of tars) await sh([process.execPath, MAIN, "image", "import", tar, "--runtime", "containerd", "--containerd-namespace", ctrNamespace]);
  const data = join(dir, "tug");
  server = Bun.spawn(["nsenter", `--net=/var/run/netns/${netns}`, process.execPath, MAIN, "server", "--data-dir", data, "--node-name", `vs-${id}`, "--runtime", "containerd", "--containerd-namespace", ctrNamespace, "--proxy-mode", "off"], { stdout: Bun.file(serverLog), stderr: Bun.file(serverLog) });
  const kcPath = join(data, "admin.kubeconfig");
  while (!(await Bun.file(kcPath).exists())) await Bun.sleep(100);
  const kc = JSON.parse(readFileSync(kcPath, "utf8"));
  token = kc.users[0].user.token;
  ca = Buffer.from(kc.clusters[0].cluster["certificate-authority-data"], "base64").toString();
  await timed(async () => undefined, async () => ((await api("GET", `/api/v1/nodes/vs-${id}`).catch(() => ({}))).status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"));
}

async function tugDown(): Promise<void> {
  server?.kill("SIGTERM");
  await server?.exited;
  // The agent leaves pods on purpose; everything of this namespace goes.
  for (const cid of (await sh(["ctr", "-n", ctrNamespace, "tasks", "ls", "-q"], { ok: true })).split("\n").filter(Boolean)) await sh(["ctr", "-n", ctrNamespace, "tasks", "kill", "-s", "SIGKILL", cid], { ok: true });
  await Bun.sleep(500);
  for (const cid of (await sh(["ctr", "-n", ctrNamespace, "containers", "ls", "-q"], { ok: true })).split("\n").filter(Boolean)) {
    await sh(["ctr", "-n", ctrNamespace, "tasks", "delete", cid], { ok: true });
    await sh(["ctr", "-n", ctrNamespace, "containers", "delete", cid], { ok: true });
  }
  for (const img of IMAGES) await sh(["ctr", "-n", ctrNamespace, "images", "rm", "--sync", img], { ok: true });
  await sh(["ctr", "namespaces", "rm", ctrNamespace], { ok: true });
  await sh(["ip", "netns", "del", netns], { ok: true });
  await sh(["ip", "link", "del", hostVeth], { ok: true });
}

// ---- Docker Swarm ----
const docker = (...args: string[]) => sh(["docker", ...args]);
async function swarmRunning(name: string, n: number, image: string): Promise<boolean> {
  const rows = (await docker("service", "ps", name, "--filter", "desired-state=running", "--format", "{{.CurrentState}}|{{.Image}}")).split("\n").filter(Boolean);
  return rows.filter((r) => r.startsWith("Running") && r.endsWith(image)).length === n && rows.length === n;
}
async function swarmDelete(name: string): Promise<void> {
  await sh(["docker", "service", "rm", name], { ok: true });
  const end = Date.now() + 120_000;
  while (Date.now() < end && (await sh(["docker", "ps", "-aq", "--filter", `label=com.docker.swarm.service.name=${name}`])).trim()) await Bun.sleep(500);
}
const dockerdPid = async () => Number((await sh(["pidof", "dockerd"])).trim().split(" ")[0]);

// ---- the run ----
const note = (who: string, ms: number) => (console.error(`${who}: step ${who === "tug" ? tugCount++ : swarmCount++} took ${(ms / 1000).toFixed(1)} s`), ms);
let tugCount = 1;
let swarmCount = 1;
const tars: string[] = [];
for (const [i, tag] of IMAGES.entries()) {
  const tar = join(dir, `busybox-${i + 1}.tar`);
  await buildBusyboxImage({ tag, cmd: ["sh"] }, tar, { "etc/bench-version": `${i + 1}\n` });
  tars.push(tar);
}
const rows: [string, number, number][] = [];
const mem: Record<string, { tug: number; swarm: number }> = {};
const services: string[] = [];
// Swarm creates docker_gwbridge; it goes again unless it was there before.
let hadGwBridge = true;
try {
  await tugUp(tars);
  const tugPid = server!.pid;
  mem["idle"] = { tug: rssMb(tugPid), swarm: 0 };
  const tugTimes: number[] = [];
  tugTimes.push(note("tug", await timed(() => api("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("d10", 10, IMAGES[0])), () => tugRunning("d10", 10, IMAGES[0]))));
  await tugDelete("d10");
  tugTimes.push(note("tug", await timed(() => api("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("d50", 50, IMAGES[0])), () => tugRunning("d50", 50, IMAGES[0]))));
  tugTimes.push(note("tug", await timed(() => tugSetReplicas("d50", 100, IMAGES[0]), () => tugRunning("d50", 100, IMAGES[0]))));
  mem["100 replicas"] = { tug: rssMb(tugPid), swarm: 0 };
  await tugSetReplicas("d50", 50, IMAGES[0]);
  await timed(async () => undefined, () => tugRunning("d50", 50, IMAGES[0]));
  tugTimes.push(note("tug", await timed(() => tugSetReplicas("d50", 50, IMAGES[1]), () => tugRunning("d50", 50, IMAGES[1]))));
  await tugDelete("d50");
  await tugDown();
  console.error(`tug done (server log ${serverLog})`);

  for (const tar of tars) await docker("load", "-i", tar);
  const addr = /src (\S+)/.exec(await sh(["ip", "route", "get", "1.1.1.1"]))?.[1] ?? "127.0.0.1";
  hadGwBridge = (await sh(["docker", "network", "ls", "-q", "--filter", "name=^docker_gwbridge$"])).trim() !== "";
  await docker("swarm", "init", "--advertise-addr", addr);
  await Bun.sleep(2000);
  mem["idle"]!.swarm = rssMb(await dockerdPid());
  const create = (name: string, n: number) => {
    services.push(name);
    return docker("service", "create", "--detach", "--no-resolve-image", "--name", name, "--replicas", String(n), "--endpoint-mode", "dnsrr", "--stop-grace-period", "1s", "--update-parallelism", "1", "--update-order", "start-first", "--update-delay", "0s", IMAGES[0], ...COMMAND);
  };
  const swarmTimes: number[] = [];
  swarmTimes.push(note("swarm", await timed(() => create("s10", 10), () => swarmRunning("s10", 10, IMAGES[0]))));
  await swarmDelete("s10");
  swarmTimes.push(note("swarm", await timed(() => create("s50", 50), () => swarmRunning("s50", 50, IMAGES[0]))));
  swarmTimes.push(note("swarm", await timed(() => docker("service", "scale", "--detach", "s50=100"), () => swarmRunning("s50", 100, IMAGES[0]))));
  mem["100 replicas"]!.swarm = rssMb(await dockerdPid());
  await docker("service", "scale", "--detach", "s50=50");
  await timed(async () => undefined, () => swarmRunning("s50", 50, IMAGES[0]));
  swarmTimes.push(note("swarm", await timed(() => docker("service", "update", "--detach", "--no-resolve-image", "--image", IMAGES[1], "s50"), () => swarmRunning("s50", 50, IMAGES[1]))));
  const labels = ["deploy 10 replicas -> running", "deploy 50 replicas -> running", "scale 50 -> 100", "rolling update across 50"];
  for (const [i, l] of labels.entries()) rows.push([l, tugTimes[i]!, swarmTimes[i]!]);
  rmSync(serverLog, { force: true });
} finally {
  if (server && server.exitCode === null) await tugDown();
  for (const s of services) await swarmDelete(s).catch(() => undefined);
  await sh(["docker", "swarm", "leave", "--force"], { ok: true });
  if (!hadGwBridge) await sh(["docker", "network", "rm", "docker_gwbridge"], { ok: true });
  for (const img of IMAGES) await sh(["docker", "rmi", img], { ok: true });
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\n## bench/vs-swarm.ts: tug vs Docker Swarm on one node (${new Date().toISOString().slice(0, 10)})\n`);
console.log("| measure | tug | Docker Swarm | tug / Swarm |");
console.log("|---|---|---|---|");
for (const [l, t, s] of rows) console.log(`| ${l} | ${(t / 1000).toFixed(1)} s | ${(s / 1000).toFixed(1)} s | ${(t / s).toFixed(2)} |`);
for (const [k, m] of Object.entries(mem)) console.log(`| RSS, ${k} (tug server+agent vs dockerd) | ${m.tug.toFixed(0)} MB | ${m.swarm.toFixed(0)} MB | ${(m.tug / m.swarm).toFixed(2)} |`);
