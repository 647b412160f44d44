// bench/scheduler.ts: the scheduler on the real write path. 1,000 Nodes of
// varied size and 10,000 Pods (of 100 ReplicaSet-like owners) are created
// through the Registry on LMDB in a temporary directory, with the
// SchedulerController, garbage collector and namespace controller running
// (the controller harness's composition, built inline). Prints medians over
// RUNS runs of: Pods bound per second while they are being created, p50/p99
// from the create call to the binding seen by the informer, a burst of 100
// Pods until all are bound, Pods bound per second from a backlog (the
// scheduler started after 10,000 Pods exist), and the pure planner's cost per
// decision on the full cluster.
//
//   node_modules/.bin/bun bench/scheduler.ts        (RUNS=3 by default)

import { DeploymentController } from "../core/controllers/deployment/controller.ts";
import { ReplicaSetController } from "../core/controllers/replica-set/controller.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSystemNamespaces } from "../api/bootstrap.ts";
import { LmdbStore } from "../api/store/lmdb-store.ts";
import { systemClock } from "../core/clock.ts";
import type { ControllerContext } from "../core/controllers/context.ts";
import type { Controller } from "../core/controllers/controller.ts";
import { GarbageCollector } from "../core/controllers/garbage-collector.ts";
import { NamespaceController } from "../core/controllers/namespace-controller.ts";
import { RegistryEventRecorder } from "../core/events/recorder.ts";
import { Informer } from "../core/informer/informer.ts";
import { registerStandardIndexes } from "../core/informer/indexes.ts";
import { Registry } from "../core/registry/registry.ts";
import type { KubeObject } from "../core/resources/object.ts";
import { SchedulerController } from "../core/scheduler/scheduler-controller.ts";
import { PlanScratch, planScheduling } from "../core/scheduler/scheduler.ts";

const RUNS = Number(process.env.RUNS ?? 3);
const NODES = Number(process.env.NODES ?? 1_000);
const PODS = Number(process.env.PODS ?? 10_000);
const OWNERS = 100;
const CREATE_BATCH = 250;
const BURST = 100;

interface RunResult {
  podsPerSec: number;
  createsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  burstMs: number;
  deploymentMs: number;
  backlogPerSec: number;
  planUs: number;
  eventsLagMs: number;
  rssMB: number;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function nodeBody(i: number): Record<string, unknown> {
  const cpu = [2, 4, 8, 16][i % 4]!;
  const memGi = [4, 8, 16, 32][(i >> 2) % 4]!;
  const allocatable = { cpu: String(cpu), memory: `${memGi}Gi`, pods: "110", "ephemeral-storage": "64Gi" };
  return {
    metadata: {
      name: `node-${i}`,
      labels: { "kubernetes.io/hostname": `node-${i}`, "topology.kubernetes.io/zone": `zone-${i % 3}` },
      annotations: { "tug.io/soc-temperature": String(45 + (i % 40)), "tug.io/throttled": i % 50 === 0 ? "true" : "false" },
    },
    status: { capacity: allocatable, allocatable, conditions: [{ type: "Ready", status: "True" }] },
  };
}

function podBody(name: string, i: number, owner: KubeObject): Record<string, unknown> {
  return {
    metadata: {
      name,
      labels: { app: owner.metadata.name! },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: owner.metadata.name, uid: owner.metadata.uid, controller: true }],
    },
    spec: {
      containers: [{ name: "app", image: "busybox", resources: { requests: { cpu: `${100 + (i % 5) * 100}m`, memory: `${128 * (1 + (i % 4))}Mi` } } }],
    },
  };
}

async function inBatches(n: number, size: number, one: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < n; start += size) {
    await Promise.all(Array.from({ length: Math.min(size, n - start) }, (_, k) => one(start + k)));
  }
}

async function until(ok: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(1);
  }
}

/** The controller harness's composition, inline: LMDB in a temporary directory, informer, registry, events, GC, namespaces, scheduler. */
async function cluster(opts: { workloads?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "tug-bench-sched-"));
  const store = new LmdbStore({ path: dir });
  const informer = new Informer(store);
  const registry = new Registry(store, { cache: informer, clock: systemClock });
  const errors: string[] = [];
  const events = new RegistryEventRecorder(registry, { component: "default-scheduler", clock: systemClock, onError: (e) => errors.push(String(e)) });
  const ctx: ControllerContext = { registry, informer, clock: systemClock, events, onError: (c, k, e) => errors.push(`${c} ${k}: ${String(e)}`) };
  registerStandardIndexes(informer);
  const scheduler = new SchedulerController(ctx);
  const others: Controller[] = [new GarbageCollector(ctx), new NamespaceController(ctx)];
  if (opts.workloads) others.push(new ReplicaSetController(ctx), new DeploymentController(ctx));
  const created = new Map<string, number>();
  const bound = new Map<string, number>();
  informer.on({
    update: (o) => {
      if (o.kind === "Pod" && (o.spec as { nodeName?: string }).nodeName && !bound.has(o.metadata.name!)) bound.set(o.metadata.name!, performance.now());
    },
  });
  await informer.start();
  await ensureSystemNamespaces(registry);
  for (const c of others) c.start?.();
  await inBatches(NODES, 100, (i) => registry.create("Node", "", nodeBody(i)));
  await until(() => scheduler.cache.nodeInfos().length === NODES, "nodes in the scheduler cache");
  const owners: KubeObject[] = [];
  await inBatches(OWNERS, 50, async (i) => {
    owners[i] = await registry.create("ReplicaSet", "default", {
      metadata: { name: `rs-${i}` },
      spec: { replicas: 0, selector: { matchLabels: { app: `rs-${i}` } }, template: { metadata: { labels: { app: `rs-${i}` } }, spec: { containers: [{ name: "app", image: "busybox" }] } } },
    });
  });
  const createPod = (name: string, i: number) => {
    created.set(name, performance.now());
    return registry.create("Pod", "default", podBody(name, i, owners[i % OWNERS]!));
  };
  return {
    registry,
    scheduler,
    events,
    errors,
    bound,
    created,
    createPod,
    stop: async () => {
      for (const c of [...others, scheduler]) c.stop();
      informer.stop();
      await events.flush();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The scheduler running while 10,000 Pods are created, then a burst of 100. */
async function whileCreating(r: number): Promise<Omit<RunResult, "backlogPerSec" | "deploymentMs">> {
  const c = await cluster();
  try {
    c.scheduler.start();
    const t0 = performance.now();
    await inBatches(PODS, CREATE_BATCH, (i) => c.createPod(`pod-${i}`, i));
    const createdAll = performance.now();
    await until(() => c.bound.size >= PODS, "every Pod bound");
    const last = Math.max(...c.bound.values());
    const latencies = [...c.bound].map(([name, t]) => t - c.created.get(name)!);

    const burst = Array.from({ length: BURST }, (_, i) => `burst-${i}`);
    const b0 = performance.now();
    await Promise.all(burst.map((name, i) => c.createPod(name, i)));
    await until(() => burst.every((n) => c.bound.has(n)), "the burst bound");
    const burstMs = Math.max(...burst.map((n) => c.bound.get(n)!)) - b0;

    // The planner alone, on the full cluster, without binding.
    const nodes = c.scheduler.cache.nodeInfos();
    const probes = await Promise.all(Array.from({ length: 64 }, async (_, i) => c.scheduler.cache.podInfo(await c.registry.get("Pod", "default", `pod-${i}`))));
    const scratch = new PlanScratch();
    const reps = 2_000;
    const p0 = performance.now();
    for (let i = 0; i < reps; i++) planScheduling(probes[i % probes.length]!, nodes, Date.now(), { scratch });
    const planUs = ((performance.now() - p0) / reps) * 1000;

    const e0 = performance.now();
    await c.events.flush();
    const eventsLagMs = performance.now() - e0;
    if (c.errors.length) console.error(`run ${r}: ${c.errors.length} errors, first: ${c.errors[0]}`);
    return {
      podsPerSec: PODS / ((last - t0) / 1000),
      createsPerSec: PODS / ((createdAll - t0) / 1000),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      burstMs,
      planUs,
      eventsLagMs,
      rssMB: process.memoryUsage().rss / 1024 / 1024,
    };
  } finally {
    await c.stop();
  }
}

/** 10,000 Pods created first, then the scheduler started: its own pace, without the creates competing for the CPU. */
async function backlog(r: number): Promise<number> {
  const c = await cluster();
  try {
    await inBatches(PODS, CREATE_BATCH, (i) => c.createPod(`pod-${i}`, i));
    await until(() => c.scheduler.queue.activeCount >= PODS, "every Pod queued");
    const t0 = performance.now();
    c.scheduler.start();
    await until(() => c.bound.size >= PODS, "every Pod bound");
    const last = Math.max(...c.bound.values());
    if (c.errors.length) console.error(`backlog run ${r}: ${c.errors.length} errors, first: ${c.errors[0]}`);
    return PODS / ((last - t0) / 1000);
  } finally {
    await c.stop();
  }
}

/** A Deployment with 100 replicas, from its creation to all 100 Pods bound (Deployment, ReplicaSet and scheduler at work). */
async function deploymentToBound(r: number): Promise<number> {
  const c = await cluster({ workloads: true });
  try {
    c.scheduler.start();
    const labels = { app: "web-burst" };
    const t0 = performance.now();
    await c.registry.create("Deployment", "default", {
      metadata: { name: "web-burst" },
      spec: {
        replicas: BURST,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: "app", image: "busybox", resources: { requests: { cpu: "50m", memory: "32Mi" } } }] } },
      },
    });
    await until(() => [...c.bound.keys()].filter((n) => n.startsWith("web-burst-")).length >= BURST, "the Deployment's Pods bound");
    const last = Math.max(...[...c.bound].filter(([n]) => n.startsWith("web-burst-")).map(([, t]) => t));
    if (c.errors.length) console.error(`deployment run ${r}: ${c.errors.length} errors, first: ${c.errors[0]}`);
    return last - t0;
  } finally {
    await c.stop();
  }
}

async function run(r: number): Promise<RunResult> {
  return { ...(await whileCreating(r)), backlogPerSec: await backlog(r), deploymentMs: await deploymentToBound(r) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const results: RunResult[] = [];
  for (let r = 0; r < RUNS; r++) results.push(await run(r));
  const rows: [string, keyof RunResult, string, string][] = [
    [`Pods bound per second while ${PODS.toLocaleString("en-US")} are created (${NODES.toLocaleString("en-US")} Nodes)`, "podsPerSec", "/s", "> 2,000"],
    ["  Pods created per second in the same run", "createsPerSec", "/s", ""],
    [`Pods bound per second from a backlog of ${PODS.toLocaleString("en-US")}`, "backlogPerSec", "/s", "> 2,000"],
    ["creation to binding, p50", "p50Ms", "ms", ""],
    ["creation to binding, p99", "p99Ms", "ms", ""],
    [`burst of ${BURST} Pods until all bound`, "burstMs", "ms", ""],
    [`Deployment of ${BURST} replicas, creation to all Pods bound`, "deploymentMs", "ms", ""],
    ["planScheduling alone, per decision", "planUs", "µs", ""],
    ["Events still to write after the last binding", "eventsLagMs", "ms", ""],
    ["RSS at the end of a run", "rssMB", "MB", ""],
  ];
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1));
  const lines = [`tug scheduler bench: ${RUNS} runs, medians`, "", "| metric | value | target |", "|---|---|---|"];
  for (const [label, key, unit, target] of rows) lines.push(`| ${label} | ${fmt(median(results.map((x) => x[key])))} ${unit} | ${target} |`);
  console.log(lines.join("\n"));
}

await main();
