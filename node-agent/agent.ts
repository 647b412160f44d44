// The node agent: follows this node's desired state through an AgentLink
// (remembered in the offline cache), runs one PodWorker per pod, removes what
// no desired pod explains, reports Node and Pod status, and serves logs.
//
//   link ──desired──▶ cache ──▶ workers ──▶ runtime (containerd | Docker) + CNI
//     ▲                            │
//     └──── node status, pod status (batched), events ◀─┘

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { KubeObject } from "../core/resources/object.ts";
import type { Pod } from "../core/resources/pod.ts";
import { deepEqual } from "../core/deep-equal.ts";
import { DesiredCache } from "./cache/desired-cache.ts";
import type { AgentLink, DesiredState, PodStatusReport } from "./link/agent-link.ts";
import { NodeReporter, type NodeReporterOptions } from "./node-status/node-reporter.ts";
import { MetricsReporter } from "./node-status/metrics-reporter.ts";
import { PodWorker } from "./pods/pod-worker.ts";
import type { PodNetwork } from "./pods/pod-sandbox.ts";
import { LABEL_NODE, LABEL_POD_UID, type ContainerRuntime, type ContainerState } from "./runtime/runtime.ts";
import { ImageKeeper } from "./images/image-keeper.ts";
import { AgentEvents } from "./events/agent-events.ts";
import { NodeServices, type NodeServicesOptions } from "./services/node-services.ts";

export interface NodeAgentOptions {
  nodeName: string;
  dataDir: string;
  runtime: ContainerRuntime;
  link: AgentLink;
  /** Builds the pod network once the node has a pod CIDR. */
  network: (podCidr: string) => Promise<PodNetwork & { listCached(): Promise<string[]> | string[] }>;
  /** How often pods are reconciled against the runtime (default 1 s). */
  syncPeriodMs?: number;
  /** How often pod status is flushed to the server (default 500 ms). */
  statusPeriodMs?: number;
  node: Omit<NodeReporterOptions, "link" | "runtime" | "dataDir" | "log">;
  /** The service proxy, pod routes and cluster DNS; absent = this agent programs no Services. */
  services?: Omit<NodeServicesOptions, "nodeName" | "nodeAddresses" | "log">;
  log: (line: string) => void;
}

/** How often the end of a Terminating pod is told again while it is still there. */
const CONFIRM_RETRY_MS = 3000;

export class NodeAgent {
  private readonly workers = new Map<string, PodWorker>();
  private readonly terminating = new Map<string, Promise<void>>();
  private readonly cache: DesiredCache;
  private readonly reporter: NodeReporter;
  private readonly metrics: MetricsReporter;
  private readonly events: AgentEvents;
  private nodeStarted = false;
  /** The Ready status last told in an event ("True"/"False"), so only changes are. */
  private readyTold: string | undefined;
  readonly images: ImageKeeper;
  readonly services: NodeServices | undefined;
  private desired: DesiredState = { pods: [], configMaps: new Map(), secrets: new Map() };
  private sourcesVersion = 0;
  private network: (PodNetwork & { listCached(): Promise<string[]> | string[] }) | undefined;
  private networkCidr: string | undefined;
  private readonly reported = new Map<string, Record<string, unknown>>();
  /** Pods whose end was last told to the server, by uid, with when (retried every few seconds). */
  private readonly confirming = new Map<string, number>();
  private timers: ReturnType<typeof setInterval>[] = [];
  private syncing: Promise<void> | undefined;
  private resync = false;
  private stopped = false;
  private runtimeOk = false;
  private flushing = false;

  constructor(private readonly opts: NodeAgentOptions) {
    mkdirSync(join(opts.dataDir, "pods"), { recursive: true });
    this.cache = new DesiredCache(opts.dataDir);
    this.services = opts.services && new NodeServices({ ...opts.services, nodeName: opts.nodeName, nodeAddresses: () => this.reporter.addresses(), log: opts.log });
    this.reporter = new NodeReporter({ ...opts.node, link: opts.link, runtime: opts.runtime, dataDir: opts.dataDir, log: opts.log, nodeName: opts.nodeName, proxyMode: () => this.services?.proxyMode });
    this.metrics = new MetricsReporter({ nodeName: opts.nodeName, link: opts.link, runtime: opts.runtime, log: opts.log });
    this.images = new ImageKeeper({ runtime: opts.runtime, dataDir: opts.dataDir, log: opts.log, inUse: () => this.imagesInUse() });
    this.events = new AgentEvents({ send: opts.link.reportEvents?.bind(opts.link), log: opts.log });
  }

  get nodeName(): string {
    return this.opts.nodeName;
  }

  async start(): Promise<void> {
    const cached = this.cache.load();
    if (cached) {
      this.opts.log(`resuming ${cached.pods.length} pod(s) from the offline cache`);
      this.desired = cached;
      this.services?.update(cached);
    }
    await this.services?.start();
    const cidr = this.cache.podCidr();
    if (cidr) await this.useNetwork(cidr);
    this.reporter.onNode((node) => void this.nodeChanged(node));
    this.reporter.start();
    this.opts.link.start({
      desired: (state) => {
        // Pod files are re-rendered only when ConfigMaps or Secrets changed (the link reuses unchanged maps).
        if (state.configMaps !== this.desired.configMaps || state.secrets !== this.desired.secrets) this.sourcesVersion++;
        this.desired = state;
        this.services?.update(state);
        void this.cache.save(state).catch((e) => this.opts.log(`offline cache: ${String(e)}`));
        this.kick();
      },
      connection: () => undefined,
    });
    this.images.start();
    this.metrics.start();
    this.events.start();
    this.timers.push(setInterval(() => this.kick(), this.opts.syncPeriodMs ?? 1000));
    this.timers.push(setInterval(() => void this.flushStatus(), this.opts.statusPeriodMs ?? 500));
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.syncing;
    this.images.stop();
    this.metrics.stop();
    this.events.stop();
    this.reporter.stop();
    await this.services?.stop();
    await this.opts.link.close();
    await this.opts.runtime.close();
    await this.cache.close();
  }

  /** The worker of a pod on this node (for logs). */
  workerOf(namespace: string, name: string): PodWorker | undefined {
    for (const w of this.workers.values()) if (w.namespace === namespace && w.name === name) return w;
    return undefined;
  }

  get runtime(): ContainerRuntime {
    return this.opts.runtime;
  }

  /** kubelet's Node events: Starting once, then NodeReady / NodeNotReady when readiness changes. */
  private nodeEvents(node: KubeObject): void {
    const uid = node.metadata.uid;
    if (!uid) return;
    const event = (reason: string, message: string) => this.events.record({ kind: "Node", namespace: "", name: this.opts.nodeName, uid, type: "Normal", reason, message });
    if (!this.nodeStarted) {
      this.nodeStarted = true;
      event("Starting", "Starting tug agent.");
    }
    const ready = (node.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.find((c) => c.type === "Ready")?.status;
    if ((ready === "True" || ready === "False") && ready !== this.readyTold) {
      this.readyTold = ready;
      const reason = ready === "True" ? "NodeReady" : "NodeNotReady";
      event(reason, `Node ${this.opts.nodeName} status is now: ${reason}`);
    }
  }

  private async nodeChanged(node: KubeObject): Promise<void> {
    this.nodeEvents(node);
    const cidr = (node.spec as { podCIDR?: string } | undefined)?.podCIDR;
    if (!cidr || cidr === this.networkCidr) return;
    await this.cache.savePodCidr(cidr);
    await this.useNetwork(cidr);
  }

  private async useNetwork(cidr: string): Promise<void> {
    this.networkCidr = cidr;
    await this.services?.usePodCidr(cidr);
    try {
      this.network = await this.opts.network(cidr);
      this.kick();
    } catch (e) {
      this.networkCidr = undefined;
      this.opts.log(`pod network: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Runs a sync now, or right after the one in progress. */
  private kick(): void {
    if (this.stopped) return;
    if (this.syncing) {
      this.resync = true;
      return;
    }
    this.syncing = this.syncAll()
      .catch((e) => this.opts.log(`sync: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => {
        this.syncing = undefined;
        if (this.resync) {
          this.resync = false;
          this.kick();
        }
      });
  }

  private async syncAll(): Promise<void> {
    let observed: ContainerState[];
    let sandboxIds: Set<string>;
    try {
      observed = await this.opts.runtime.listContainers({ [LABEL_NODE]: this.opts.nodeName });
      sandboxIds = new Set((await this.opts.runtime.listSandboxes({ [LABEL_NODE]: this.opts.nodeName })).map((s) => s.id));
      this.runtimeOk = true;
    } catch (e) {
      if (this.runtimeOk) this.opts.log(`container runtime: ${e instanceof Error ? e.message : String(e)}`);
      this.runtimeOk = false;
      return;
    }
    const byPod = new Map<string, ContainerState[]>();
    for (const c of observed) {
      const uid = c.labels[LABEL_POD_UID] ?? "";
      byPod.set(uid, [...(byPod.get(uid) ?? []), c]);
    }
    const wanted = new Map<string, Pod>();
    for (const o of this.desired.pods) {
      const pod = o as unknown as Pod;
      if (pod.metadata.uid && pod.spec.nodeName === this.opts.nodeName && !pod.metadata.deletionTimestamp) wanted.set(pod.metadata.uid, pod);
    }
    // Pods that left (deleted, rebound, marked for deletion) stop with their grace period.
    for (const [uid, w] of this.workers) {
      if (wanted.has(uid)) continue;
      const pod = this.desired.pods.find((p) => p.metadata.uid === uid) as Pod | undefined;
      this.terminate(w, pod?.metadata.deletionGracePeriodSeconds ?? w.graceSeconds());
    }
    for (const [uid, pod] of wanted) {
      if (this.terminating.has(uid)) continue;
      let w = this.workers.get(uid);
      if (!w) {
        w = new PodWorker(
          {
            runtime: this.opts.runtime,
            network: () => this.network,
            nodeName: this.opts.nodeName,
            hostIP: () => this.reporter.hostIP(),
            podsDir: join(this.opts.dataDir, "pods"),
            sources: () => this.desired,
            now: () => Date.now(),
            log: this.opts.log,
            serviceAccountToken: this.opts.link.requestServiceAccountToken?.bind(this.opts.link),
            apiServerUrl: () => this.opts.link.apiServerUrl?.(),
            wake: () => this.kick(),
            dns: () => (this.services?.nameserver ? { nameserver: this.services.nameserver, clusterDomain: this.services.clusterDomain } : undefined),
            event: this.events.record,
          },
          pod,
        );
        this.workers.set(uid, w);
      } else w.update(pod);
    }
    await this.removeOrphans(observed, sandboxIds);
    this.confirmDeletions(byPod);
    const acted = await Promise.all([...this.workers.entries()].filter(([uid]) => wanted.has(uid)).map(([uid, w]) => w.sync(byPod.get(uid) ?? [], sandboxIds, this.sourcesVersion)));
    // What was just started shows as running on the next look: take it now, not a period later.
    if (acted.some(Boolean)) this.resync = true;
    void this.flushStatus();
  }

  private terminate(w: PodWorker, graceSeconds: number): void {
    if (this.terminating.has(w.uid)) return;
    this.opts.log(`stopping pod ${w.namespace}/${w.name} (grace ${graceSeconds}s)`);
    const done = w
      .terminate(graceSeconds)
      .catch((e) => this.opts.log(`stopping pod ${w.namespace}/${w.name}: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => {
        this.workers.delete(w.uid);
        this.terminating.delete(w.uid);
        this.reported.delete(w.uid);
        // A pod marked for deletion can now be told gone.
        this.kick();
      });
    this.terminating.set(w.uid, done);
  }

  /**
   * Pods marked for deletion (Terminating) whose containers are all gone: the
   * server is told, and removes them (kubelet's final delete). Level-triggered:
   * retried every few seconds until the pod leaves the desired state, so a
   * link that was down, or an agent that restarted meanwhile, still ends them.
   */
  private confirmDeletions(byPod: Map<string, ContainerState[]>): void {
    const now = Date.now();
    const marked = new Set<string>();
    for (const o of this.desired.pods) {
      const pod = o as unknown as Pod;
      const uid = pod.metadata.uid;
      if (!uid || !pod.metadata.deletionTimestamp || pod.spec.nodeName !== this.opts.nodeName) continue;
      marked.add(uid);
      if (this.workers.has(uid) || this.terminating.has(uid) || byPod.has(uid)) continue;
      if (now - (this.confirming.get(uid) ?? 0) < CONFIRM_RETRY_MS) continue;
      this.confirming.set(uid, now);
      const ref = { namespace: pod.metadata.namespace ?? "default", name: pod.metadata.name!, uid };
      void this.opts.link.confirmPodDeletion(ref).catch((e) => this.opts.log(`pod ${ref.namespace}/${ref.name}: telling the server it is gone: ${e instanceof Error ? e.message : String(e)}`));
    }
    for (const uid of this.confirming.keys()) if (!marked.has(uid)) this.confirming.delete(uid);
  }

  /** Containers and sandboxes of this node that no pod explains (deleted while offline, left by a crash). */
  private async removeOrphans(observed: ContainerState[], sandboxIds: Set<string>): Promise<void> {
    const known = new Set(this.workers.keys());
    const orphans = observed.filter((c) => !known.has(c.labels[LABEL_POD_UID] ?? ""));
    const knownSandboxes = new Set([...this.workers.values()].map((w) => w.sandboxId));
    const orphanSandboxes = [...sandboxIds].filter((id) => !knownSandboxes.has(id));
    const cached = this.network ? await this.network.listCached() : [];
    const orphanNetworks = cached.filter((id) => !knownSandboxes.has(id));
    if (orphans.length + orphanSandboxes.length + orphanNetworks.length === 0) return;
    await Promise.all(
      orphans.map(async (c) => {
        this.opts.log(`removing orphan container ${c.id}`);
        await this.opts.runtime.stopContainer(c.id, 5);
        await this.opts.runtime.removeContainer(c.id);
      }),
    );
    for (const id of new Set([...orphanNetworks, ...orphanSandboxes])) {
      await this.network?.del(id, `/var/run/netns/${id}`);
      if (sandboxIds.has(id)) await this.opts.runtime.removeSandbox(id);
    }
  }

  private async flushStatus(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      await this.flushOnce();
    } finally {
      this.flushing = false;
    }
  }

  private async flushOnce(): Promise<void> {
    const batch: PodStatusReport[] = [];
    for (const w of this.workers.values()) {
      if (this.terminating.has(w.uid)) continue;
      const status = w.status();
      if (!status || deepEqual(status, this.reported.get(w.uid))) continue;
      batch.push({ namespace: w.namespace, name: w.name, uid: w.uid, status });
    }
    if (batch.length === 0) return;
    try {
      await this.opts.link.reportPodStatuses(batch);
      for (const r of batch) this.reported.set(r.uid, r.status);
    } catch {
      // Offline: the same statuses go out with the next flush after the link is back.
    }
  }

  private imagesInUse(): Set<string> {
    const refs = new Set<string>();
    for (const o of this.desired.pods) {
      const pod = o as unknown as Pod;
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) refs.add(c.image);
    }
    return refs;
  }
}
