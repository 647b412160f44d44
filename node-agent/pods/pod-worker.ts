// One pod on this node, from sandbox to teardown. Level-triggered: each
// sync() looks at what the runtime reports for the pod and takes the next
// steps (sandbox and network in pod-sandbox.ts, volumes and the
// ServiceAccount token, init containers in order, containers with restart
// policy and back-off, probes), records kubelet's Events (pod-events.ts),
// then recomputes the status. Runs never overlap; everything it does is safe
// to repeat, so a restarted agent adopts running containers instead of
// duplicating them.

import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Pod } from "../../core/resources/pod.ts";
import type { RecordEvent } from "../events/agent-events.ts";
import { startContainerProbes } from "../probes/container-probes.ts";
import {
  LABEL_ATTEMPT,
  LABEL_CONTAINER,
  LABEL_NODE,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  RuntimeError,
  type ContainerRuntime,
  type ContainerState,
  type Labels,
  type Mount,
} from "../runtime/runtime.ts";
import { ConfigError, planContainerConfig, type ContainerConfig } from "./container-config.ts";
import { containerViewOf, newTrack, terminatedStateOf, type StateContext, type Track } from "./container-track.ts";
import { ensureImage } from "./image-pull.ts";
import { PodEvents } from "./pod-events.ts";
import { PodSandbox, type PodNetwork } from "./pod-sandbox.ts";
import { planPodStatus, podPhase, type ContainerView, type PodView } from "./pod-status.ts";
import { crashBackoffMs, shouldRestart } from "./restart-policy.ts";
import { apiServerEnv, ServiceAccountVolume, type TokenSource } from "./service-account-volume.ts";
import { ensureVolumes, type VolumeSources } from "./volumes.ts";
import { podNetworkMounts, writePodNetworkFiles, type ClusterDns } from "./pod-files.ts";

type Container = Pod["spec"]["containers"][number];

export interface PodWorkerDeps {
  runtime: ContainerRuntime;
  /** Undefined until the node has a pod CIDR. */
  network: () => PodNetwork | undefined;
  nodeName: string;
  hostIP: () => string;
  podsDir: string;
  sources: () => VolumeSources;
  now: () => number;
  log: (line: string) => void;
  /** Issues the pod's ServiceAccount token (over the link); without it no token is mounted. */
  serviceAccountToken?: TokenSource;
  /** The API server's URL, for KUBERNETES_SERVICE_HOST/PORT. */
  apiServerUrl?: () => string | undefined;
  /** Asks for a sync soon (something the pod waited for arrived). */
  wake?: () => void;
  /** The node's cluster DNS, for the pod's resolv.conf; the host's resolv.conf when absent. */
  dns?: () => ClusterDns | undefined;
  /** Records the pod's Events (kubelet's); none without it. */
  event?: RecordEvent;
}

export function sandboxIdOf(nodeName: string, podUid: string): string {
  return `tug-${new Bun.CryptoHasher("sha256").update(`${nodeName}/${podUid}`).digest("hex").slice(0, 12)}`;
}

export class PodWorker {
  readonly uid: string;
  readonly sandboxId: string;
  private readonly sandbox: PodSandbox;
  private readonly tracks = new Map<string, Track>();
  private initDone = false;
  private terminating: Promise<void> | undefined;
  private running: Promise<void> = Promise.resolve();
  private sourcesSeen = -1;
  private volumeDirs: Map<string, string> | undefined;
  private readonly startTime: string;
  private lastStatus: Record<string, unknown> | undefined;
  private podError: { reason: string; message: string } | undefined;
  private acted = false;
  private readonly token: ServiceAccountVolume | undefined;
  private readonly events: PodEvents;

  constructor(
    private readonly deps: PodWorkerDeps,
    private pod: Pod,
  ) {
    this.uid = pod.metadata.uid!;
    this.sandboxId = sandboxIdOf(deps.nodeName, this.uid);
    this.startTime = pod.status?.startTime ?? new Date(deps.now()).toISOString();
    this.events = new PodEvents(deps.event, () => this.pod);
    this.sandbox = new PodSandbox({
      id: this.sandboxId,
      runtime: deps.runtime,
      network: deps.network,
      hostIP: deps.hostIP,
      pod: () => this.pod,
      labels: () => this.podLabels(),
      events: this.events,
      log: deps.log,
    });
    // The pod's own opt-out only; Kubernetes also honours the ServiceAccount's field, which the node does not see.
    if (deps.serviceAccountToken && pod.spec.automountServiceAccountToken !== false) {
      this.token = new ServiceAccountVolume({
        podDir: this.podDir,
        namespace: this.namespace,
        pod: this.name,
        request: deps.serviceAccountToken,
        now: deps.now,
        onReady: () => deps.wake?.(),
        log: deps.log,
      });
    }
  }

  get podDir(): string {
    return join(this.deps.podsDir, this.uid);
  }

  get namespace(): string {
    return this.pod.metadata.namespace ?? "default";
  }

  get name(): string {
    return this.pod.metadata.name!;
  }

  /** The pod's terminationGracePeriodSeconds. */
  graceSeconds(): number {
    return this.pod.spec.terminationGracePeriodSeconds ?? 30;
  }

  update(pod: Pod): void {
    this.pod = pod;
  }

  /** The status to report, after the latest sync. */
  status(): Record<string, unknown> | undefined {
    return this.lastStatus;
  }

  /** Runtime id of a container's current (or previous) attempt, for logs. */
  containerIdOf(name: string, previous: boolean): string | undefined {
    const t = this.tracks.get(name);
    if (!t || t.attempt < 0) return undefined;
    const attempt = previous ? t.attempt - 1 : t.attempt;
    return attempt < 0 ? undefined : this.containerId(name, attempt);
  }

  logPathOf(containerId: string): string {
    return join(this.podDir, "logs", `${containerId}.log`);
  }

  containerNames(): string[] {
    return [...(this.pod.spec.initContainers ?? []), ...this.pod.spec.containers].map((c) => c.name);
  }

  /**
   * One pass; calls never overlap. `observed` holds this pod's containers, `sandboxes` every sandbox id present.
   * Resolves true when it started something, so the caller looks again soon instead of at the next period.
   */
  sync(observed: ContainerState[], sandboxes: Set<string>, sourcesVersion: number): Promise<boolean> {
    const pass = this.running.then(async () => {
      if (this.terminating) return false;
      this.acted = false;
      await this.syncOnce(observed, sandboxes, sourcesVersion);
      return this.acted;
    });
    this.running = pass.then(
      () => undefined,
      (e) => this.deps.log(`pod ${this.namespace}/${this.name}: ${e instanceof Error ? e.message : String(e)}`),
    );
    return pass.catch(() => false);
  }

  /** Stops every container (SIGTERM, then SIGKILL after the grace period) and removes the pod from the node. */
  terminate(graceSeconds: number): Promise<void> {
    this.token?.close();
    this.terminating ??= this.running.then(async () => {
      for (const t of this.tracks.values()) t.probes?.stop();
      const mine = await this.deps.runtime.listContainers({ [LABEL_NODE]: this.deps.nodeName, [LABEL_POD_UID]: this.uid });
      for (const c of mine.filter((x) => x.state === "running")) {
        const spec = this.specOf(c.labels[LABEL_CONTAINER] ?? "");
        if (spec) this.events.killing(spec);
      }
      await Promise.all(mine.map((c) => this.deps.runtime.stopContainer(c.id, graceSeconds)));
      await Promise.all(mine.map((c) => this.deps.runtime.removeContainer(c.id)));
      await this.sandbox.teardown();
      rmSync(this.podDir, { recursive: true, force: true });
    });
    return this.terminating;
  }

  private async syncOnce(observed: ContainerState[], sandboxes: Set<string>, sourcesVersion: number): Promise<void> {
    const byAttempt = new Map<string, Map<number, ContainerState>>();
    for (const c of observed) {
      const name = c.labels[LABEL_CONTAINER];
      if (name === undefined) continue;
      const attempts = byAttempt.get(name) ?? new Map<number, ContainerState>();
      attempts.set(Number(c.labels[LABEL_ATTEMPT] ?? 0), c);
      byAttempt.set(name, attempts);
    }
    this.adopt(byAttempt);
    const phase = this.currentPhase(byAttempt);
    if (phase === "Succeeded" || phase === "Failed") {
      // Done: the IP goes back to the pool; the exited containers stay for logs until the pod is deleted.
      for (const t of this.tracks.values()) t.probes?.stop();
      await this.sandbox.releaseNetwork();
      this.lastStatus = this.computeStatus(byAttempt);
      return;
    }
    this.podError = undefined;
    // Asked first, so the token travels while the sandbox is made.
    this.token?.check();
    const waiting = await this.sandbox.ensure(observed, sandboxes);
    if (waiting) this.podError = { reason: "ContainerCreating", message: waiting };
    else if (this.ensurePodFiles(sourcesVersion) && this.ensureToken()) await this.syncContainers(byAttempt);
    this.lastStatus = this.computeStatus(byAttempt);
  }

  /** After an agent restart: continue from the attempts the runtime still has. */
  private adopt(byAttempt: Map<string, Map<number, ContainerState>>): void {
    for (const name of this.containerNames()) {
      const t = this.track(name);
      const attempts = byAttempt.get(name);
      if (!attempts) continue;
      const latest = Math.max(...attempts.keys());
      if (latest > t.attempt) {
        t.attempt = latest;
        t.failedStart = undefined;
      }
    }
  }

  private specOf(name: string): Container | undefined {
    return [...(this.pod.spec.initContainers ?? []), ...this.pod.spec.containers].find((c) => c.name === name);
  }

  private track(name: string): Track {
    let t = this.tracks.get(name);
    if (!t) {
      t = newTrack();
      this.tracks.set(name, t);
    }
    return t;
  }

  private containerId(name: string, attempt: number): string {
    return `${this.sandboxId}-${name.slice(0, 40)}-${attempt}`;
  }

  /** /etc/hosts, /etc/resolv.conf and the volumes; false (with a pod error) when a source is missing. */
  private ensurePodFiles(sourcesVersion: number): boolean {
    if (this.volumeDirs && sourcesVersion === this.sourcesSeen) return true;
    try {
      writePodNetworkFiles(this.podDir, this.pod, this.sandbox.podIP ?? "", this.deps.dns?.());
      this.volumeDirs = ensureVolumes(this.pod, this.podDir, this.deps.sources());
      this.sourcesSeen = sourcesVersion;
      return true;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.podError = { reason: "CreateContainerConfigError", message: e.message };
      return false;
    }
  }

  /** False (with a pod error) while the pod has no ServiceAccount token yet: its containers wait for one. */
  private ensureToken(): boolean {
    const waiting = this.token?.check();
    if (waiting === undefined) return true;
    this.podError = { reason: "ContainerCreating", message: waiting };
    return false;
  }

  /** What every container gets, unless it mounts something else at the same path. */
  private podMounts(): Mount[] {
    return [...podNetworkMounts(this.podDir), ...(this.token ? [this.token.mount()] : [])];
  }

  private async syncContainers(byAttempt: Map<string, Map<number, ContainerState>>): Promise<void> {
    if (!this.initDone) {
      for (const c of this.pod.spec.initContainers ?? []) {
        const outcome = await this.syncContainer(c, byAttempt, { init: true });
        if (outcome !== "succeeded") return;
      }
      this.initDone = true;
    }
    await Promise.all(this.pod.spec.containers.map((c) => this.syncContainer(c, byAttempt, { init: false })));
  }

  /** Moves one container a step; "succeeded" only for a completed run that will not restart. */
  private async syncContainer(c: Container, byAttempt: Map<string, Map<number, ContainerState>>, opts: { init: boolean }): Promise<"succeeded" | "busy"> {
    const t = this.track(c.name);
    const now = this.deps.now();
    const latest = t.attempt >= 0 ? byAttempt.get(c.name)?.get(t.attempt) : undefined;
    if (latest?.state === "running") {
      t.exitSeenAt = undefined;
      if (!opts.init) this.watchProbes(c, t, latest);
      return "busy";
    }
    const ended = t.attempt < 0 ? undefined : terminatedStateOf(t, latest, this.stateContext());
    if (ended) {
      t.probes?.stop();
      t.probes = undefined;
      t.probesFor = undefined;
      t.probe = { started: false, ready: false, failed: false };
      t.exitSeenAt ??= now;
      if (!shouldRestart(this.pod.spec.restartPolicy, ended.exitCode)) return ended.exitCode === 0 ? "succeeded" : "busy";
      if (opts.init && ended.exitCode === 0) return "succeeded";
      const finished = Date.parse(ended.finishedAt ?? "") || t.exitSeenAt;
      const ran = finished - (Date.parse(ended.startedAt ?? "") || finished);
      const readyAt = finished + crashBackoffMs(t.attempt, ran);
      if (now < readyAt) {
        if (t.waiting?.reason !== "CrashLoopBackOff") this.events.crashLoop(c);
        t.waiting = { reason: "CrashLoopBackOff", message: `back-off ${Math.round(crashBackoffMs(t.attempt, ran) / 1000)}s restarting failed container=${c.name} pod=${this.name}_${this.namespace}(${this.uid})` };
        return "busy";
      }
    }
    await this.startContainer(c, t, t.attempt + 1);
    await this.pruneAttempts(c.name, t, byAttempt);
    return "busy";
  }

  private async startContainer(c: Container, t: Track, attempt: number): Promise<void> {
    const now = this.deps.now();
    if (now < t.imageRetryAt) {
      if (t.waiting?.reason !== "ImagePullBackOff") this.events.pullBackOff(c);
      t.waiting = { reason: "ImagePullBackOff", message: `Back-off pulling image "${c.image}"` };
      return;
    }
    try {
      await ensureImage(this.deps.runtime, c, (line) => this.deps.log(`pod ${this.namespace}/${this.name}: ${line}`), this.events);
      t.imagePullFailures = 0;
    } catch (e) {
      t.imagePullFailures++;
      t.imageRetryAt = now + Math.min(BACKOFF_IMAGE_MS * 2 ** (t.imagePullFailures - 1), 300_000);
      t.waiting = { reason: e instanceof RuntimeError ? e.reason : "ErrImagePull", message: messageOf(e) };
      this.events.pullFailed(c, t.waiting.reason, t.waiting.message!);
      return;
    }
    let config: ContainerConfig;
    try {
      config = planContainerConfig(c, {
        pod: this.pod,
        ...this.deps.sources(),
        podIP: this.sandbox.podIP ?? "",
        hostIP: this.deps.hostIP(),
        volumeDirs: this.volumeDirs ?? new Map(),
        podMounts: this.podMounts(),
      });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      if (t.waiting?.message !== e.message) this.events.failed(c, e.message);
      t.waiting = { reason: "CreateContainerConfigError", message: e.message };
      return;
    }
    // The API server's address goes first, so the container's own env may override it.
    const apiEnv = apiServerEnv(this.deps.apiServerUrl?.(), this.deps.hostIP()).filter((e) => !config.env.some((x) => x.name === e.name));
    config = { ...config, env: [...apiEnv, ...config.env] };
    const id = this.containerId(c.name, attempt);
    const labels: Labels = { ...this.podLabels(), [LABEL_CONTAINER]: c.name, [LABEL_ATTEMPT]: String(attempt) };
    try {
      await this.deps.runtime.startContainer(this.sandbox.sandbox!, { ...config, id, labels }, this.logPathOf(id));
      this.events.created(c);
      this.events.started(c);
      this.acted = true;
      t.attempt = attempt;
      t.waiting = undefined;
      t.failedStart = undefined;
      t.exitSeenAt = undefined;
    } catch (e) {
      if (!(e instanceof RuntimeError)) throw e;
      if (e.reason === "ContainerCannotRun") {
        // Nothing ran: the attempt counts as a run that failed at once (kubelet shows it terminated).
        const at = new Date(now).toISOString();
        this.acted = true;
        t.attempt = attempt;
        t.failedStart = { attempt, terminated: { exitCode: 128, reason: "ContainerCannotRun", message: e.message, startedAt: at, finishedAt: at } };
        t.exitSeenAt = now;
        t.waiting = undefined;
        this.events.failed(c, e.message);
      } else {
        if (t.waiting?.message !== e.message) this.events.failed(c, e.message);
        t.waiting = { reason: e.reason === "CreateContainerError" ? "CreateContainerError" : "ContainerCreating", message: e.message };
      }
    }
  }

  /** Keeps the latest two attempts (the previous one serves `logs --previous`). */
  private async pruneAttempts(name: string, t: Track, byAttempt: Map<string, Map<number, ContainerState>>): Promise<void> {
    for (const [attempt, c] of byAttempt.get(name) ?? []) {
      if (attempt < t.attempt - 1) {
        await this.deps.runtime.removeContainer(c.id);
        rmSync(this.logPathOf(c.id), { force: true });
      }
    }
  }

  private watchProbes(c: Container, t: Track, running: ContainerState): void {
    if (t.probesFor === running.id) {
      if (t.probe.failed && t.stopping !== running.id) {
        t.stopping = running.id;
        this.deps.log(`pod ${this.namespace}/${this.name}: container ${c.name} ${t.probe.why}`);
        this.events.killing(c, t.probe.why);
        void this.deps.runtime.stopContainer(running.id, this.pod.spec.terminationGracePeriodSeconds).catch((e) => this.deps.log(`stop ${running.id}: ${messageOf(e)}`));
      }
      return;
    }
    t.probes?.stop();
    t.probesFor = running.id;
    t.probe = { started: !c.startupProbe, ready: !c.readinessProbe && !c.startupProbe, failed: false };
    t.probes = startContainerProbes(c, {
      startedAt: Date.parse(running.startedAt ?? "") || this.deps.now(),
      podIP: this.sandbox.podIP ?? "127.0.0.1",
      exec: (argv, timeoutMs) => this.deps.runtime.exec(running.id, argv, timeoutMs),
      now: this.deps.now,
      onChange: (s) => {
        const why = `failed ${s.startupFailed ? "startup" : "liveness"} probe, will be restarted`;
        t.probe = { started: s.started, ready: s.ready, failed: s.livenessFailed || s.startupFailed, why };
      },
      onFailure: (message) => this.events.unhealthy(c, message),
    });
  }

  private currentPhase(byAttempt: Map<string, Map<number, ContainerState>>): string {
    return podPhase(this.view(byAttempt));
  }

  private computeStatus(byAttempt: Map<string, Map<number, ContainerState>>): Record<string, unknown> {
    return planPodStatus(this.view(byAttempt));
  }

  private view(byAttempt: Map<string, Map<number, ContainerState>>): PodView {
    const initSpecs = this.pod.spec.initContainers ?? [];
    const init = initSpecs.map((c) => containerViewOf(c, this.track(c.name), byAttempt.get(c.name), { ...this.stateContext(), init: true, initDone: this.initDone, podError: this.podError, startTime: this.startTime }));
    const initFailed =
      this.pod.spec.restartPolicy === "Never" && init.some((c) => c.state.terminated && c.state.terminated.exitCode !== 0);
    const initialized = this.initDone || (initSpecs.length > 0 && init.every((c) => c.state.terminated?.exitCode === 0)) || initSpecs.length === 0;
    if (initialized) this.initDone = true;
    return {
      pod: this.pod,
      podIP: this.sandbox.podIP,
      hostIP: this.deps.hostIP(),
      startTime: this.startTime,
      init,
      containers: this.pod.spec.containers.map((c) =>
        containerViewOf(c, this.track(c.name), byAttempt.get(c.name), { ...this.stateContext(), init: false, initDone: this.initDone, podError: this.podError, startTime: this.startTime }),
      ),
      initialized,
      initFailed,
      now: new Date(this.deps.now()).toISOString(),
    };
  }

  private runtimeId(id: string): string {
    return `${this.deps.runtime.name}://${id}`;
  }

  private stateContext(): StateContext {
    return { now: this.deps.now(), runtimeName: this.deps.runtime.name };
  }

  private podLabels(): Labels {
    return {
      [LABEL_NODE]: this.deps.nodeName,
      [LABEL_POD_UID]: this.uid,
      [LABEL_POD_NAME]: this.name,
      [LABEL_POD_NAMESPACE]: this.namespace,
    };
  }
}

const BACKOFF_IMAGE_MS = 10_000;

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
