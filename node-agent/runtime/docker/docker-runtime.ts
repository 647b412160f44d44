// The Docker driver of ContainerRuntime, over the Engine API (v1.41) on the
// unix socket. Pods are infra containers (sandboxes.ts); a pod's containers
// join the infra container's network and IPC namespaces and are named by their
// spec id, so every call below addresses Docker by that name. Docker keeps the
// logs itself (json-file), so the agent's logPath is not used.

import { LABEL_SANDBOX, RuntimeError, type ContainerRuntime, type ContainerSpec, type ContainerState, type ImageInfo, type Labels, type LogOptions, type Sandbox, type SandboxSpec } from "../runtime.ts";
import { ContainerStates } from "./container-states.ts";
import { DEFAULT_DOCKER_SOCKET, DockerApi, DockerApiError, isNotFound } from "./docker-api.ts";
import type { ContainerCreateBody, ExecInspect, ImageSummary, StatsOneShot } from "./docker-types.ts";
import { collectOutput, demuxFrames, logLines } from "./log-stream.ts";
import { DockerSandboxes, undoing } from "./sandboxes.ts";

export interface DockerRuntimeOptions {
  /** Default /var/run/docker.sock. */
  socketPath?: string;
  /** Where the driver keeps its own files (the pause image tar). */
  stateDir: string;
}

/** Kubernetes' MilliCPUToShares: 1000m = 1024 shares, never below the kernel's minimum of 2. */
const cpuShares = (millis: number) => Math.max(2, Math.floor((millis * 1024) / 1000));

export class DockerRuntime implements ContainerRuntime {
  readonly name = "docker";
  private readonly api: DockerApi;
  private readonly sandboxes: DockerSandboxes;
  private readonly states: ContainerStates;

  constructor(opts: DockerRuntimeOptions) {
    this.api = new DockerApi(opts.socketPath ?? DEFAULT_DOCKER_SOCKET);
    this.sandboxes = new DockerSandboxes(this.api, opts.stateDir, (tar) => this.importImage(tar));
    this.states = new ContainerStates(this.api);
  }

  async version(): Promise<string> {
    const v = await this.api.json<{ Version: string }>("GET", "/version");
    return `docker://${v.Version}`;
  }

  // Images

  async hasImage(ref: string): Promise<boolean> {
    const status = await this.api.call("GET", `/images/${ref}/json`, { accept: [404] });
    return status !== 404;
  }

  async pullImage(ref: string): Promise<void> {
    try {
      await this.api.progress("POST", "/images/create", { query: pullQuery(ref) });
    } catch (e) {
      if (e instanceof DockerApiError) throw new RuntimeError("ErrImagePull", e.dockerMessage, `${e.method} ${e.path}`);
      throw e;
    }
  }

  async importImage(tarPath: string): Promise<string[]> {
    const messages = await this.api.progress("POST", "/images/load", { query: { quiet: 1 }, body: Bun.file(tarPath) });
    const refs: string[] = [];
    for (const m of messages) {
      // "Loaded image: repo:tag" for tagged images, "Loaded image ID: sha256:..." for untagged ones.
      const match = /^Loaded image(?: ID)?: (\S+)/.exec(m.stream ?? "");
      if (match?.[1]) refs.push(match[1]);
    }
    return refs;
  }

  async listImages(): Promise<ImageInfo[]> {
    const images = await this.api.json<ImageSummary[]>("GET", "/images/json");
    return images.map((i) => ({
      refs: [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])].filter((r) => !r.startsWith("<none>")),
      id: i.Id,
      sizeBytes: i.Size,
    }));
  }

  async removeImage(ref: string): Promise<void> {
    // No force: Docker answers 409 while a container (even a stopped one) uses the image.
    await this.api.call("DELETE", `/images/${ref}`, { accept: [404] });
  }

  // Sandboxes

  createSandbox(spec: SandboxSpec): Promise<Sandbox> {
    return this.sandboxes.create(spec);
  }

  removeSandbox(id: string): Promise<void> {
    return this.sandboxes.remove(id);
  }

  listSandboxes(labels: Labels): Promise<Sandbox[]> {
    return this.sandboxes.list(labels);
  }

  // Containers

  async startContainer(sandbox: Sandbox, spec: ContainerSpec, _logPath: string): Promise<void> {
    const infra = await this.sandboxes.infraOf(sandbox);
    const body = createBody(spec, {
      network: infra.HostConfig.NetworkMode === "host" ? "host" : `container:${infra.Id}`,
      ipc: `container:${infra.Id}`,
      labels: { ...spec.labels, [LABEL_SANDBOX]: sandbox.id },
    });
    let id: string;
    try {
      ({ Id: id } = await this.api.json<{ Id: string }>("POST", "/containers/create", { query: { name: spec.id }, json: body }));
    } catch (e) {
      if (e instanceof DockerApiError) throw new RuntimeError("CreateContainerError", e.dockerMessage, `${e.method} ${e.path}`);
      throw e;
    }
    try {
      await this.api.call("POST", `/containers/${id}/start`);
    } catch (e) {
      const err = e instanceof DockerApiError ? new RuntimeError("ContainerCannotRun", e.dockerMessage, `${e.method} ${e.path}`) : e;
      throw await undoing(err, () => this.removeContainer(spec.id));
    }
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    // 304: already stopped; 404: already gone. Docker sends SIGKILL itself after t seconds.
    await this.api.call("POST", `/containers/${id}/stop`, { query: { t: Math.max(0, Math.ceil(graceSeconds)) }, accept: [304, 404] });
  }

  async removeContainer(id: string): Promise<void> {
    await this.api.call("DELETE", `/containers/${id}`, { query: { force: true, v: true }, accept: [404] });
    this.states.forget(id);
  }

  listContainers(labels: Labels): Promise<ContainerState[]> {
    return this.states.list(labels);
  }

  /**
   * Runs `argv` and returns its exit code and merged output. Past `timeoutMs` the
   * exec process is SIGKILLed (Docker has no API for that; its host pid works)
   * and an Error is thrown: a probe that timed out has failed.
   */
  async exec(id: string, argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const { Id: execId } = await this.api.json<{ Id: string }>("POST", `/containers/${id}/exec`, {
      json: { Cmd: argv, AttachStdout: true, AttachStderr: true },
    });
    const signal = AbortSignal.timeout(timeoutMs);
    let output: string;
    try {
      const res = await this.api.request("POST", `/exec/${execId}/start`, { json: { Detach: false, Tty: false }, signal });
      output = await collectOutput(bodyChunks(res));
    } catch (e) {
      if (!signal.aborted) throw e;
      await this.killExec(execId);
      throw new Error(`exec ${JSON.stringify(argv)} in ${id} timed out after ${timeoutMs} ms`);
    }
    // The stream ends when the process does; the exit code can lag it by a moment.
    for (let i = 0; i < 50; i++) {
      const info = await this.api.json<ExecInspect>("GET", `/exec/${execId}/json`);
      if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, output };
      await Bun.sleep(10);
    }
    throw new Error(`exec ${JSON.stringify(argv)} in ${id}: Docker reported no exit code`);
  }

  async *logs(id: string, _logPath: string, opts: LogOptions): AsyncIterable<string> {
    // Always ask for timestamps: they mark where each log entry starts, which joins Docker's 16 KiB splits back.
    const query = { stdout: 1, stderr: 1, timestamps: 1, follow: opts.follow ? 1 : 0, tail: opts.tailLines ?? "all" };
    let res: Response;
    try {
      res = await this.api.request("GET", `/containers/${id}/logs`, { query, signal: opts.signal });
    } catch (e) {
      if (opts.signal?.aborted) return;
      throw e;
    }
    try {
      yield* logLines(demuxFrames(bodyChunks(res)), { timestamps: opts.timestamps });
    } catch (e) {
      if (opts.signal?.aborted) return;
      throw e;
    }
  }

  async stats(id: string): Promise<{ memoryBytes: number; cpuNanos: number } | undefined> {
    let s: StatsOneShot;
    try {
      s = await this.api.json<StatsOneShot>("GET", `/containers/${id}/stats`, { query: { stream: false, "one-shot": true } });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const usage = s.memory_stats?.usage;
    if (usage === undefined) return undefined; // not running
    // The working set, as kubelet reports it: page cache that can be dropped does not count.
    const inactive = s.memory_stats?.stats?.total_inactive_file ?? s.memory_stats?.stats?.inactive_file ?? 0;
    return { memoryBytes: Math.max(0, usage - inactive), cpuNanos: s.cpu_stats?.cpu_usage?.total_usage ?? 0 };
  }

  async close(): Promise<void> {
    this.states.clear();
  }

  private async killExec(execId: string): Promise<void> {
    const info = await this.api.json<ExecInspect>("GET", `/exec/${execId}/json`);
    if (!info.Running || info.Pid <= 0) return;
    try {
      process.kill(info.Pid, "SIGKILL");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e; // ESRCH: it finished meanwhile
    }
  }
}

function createBody(spec: ContainerSpec, pod: { network: string; ipc: string; labels: Labels }): ContainerCreateBody {
  // Docker keeps duplicate variables and the process sees the first; Kubernetes says the last wins.
  const env = new Map<string, string>();
  for (const { name, value } of spec.env) {
    env.delete(name);
    env.set(name, value);
  }
  return {
    Image: spec.image,
    // Docker applies the Kubernetes rule itself: a given Entrypoint drops the image's CMD, a given Cmd keeps its ENTRYPOINT.
    Entrypoint: spec.command?.length ? spec.command : undefined,
    Cmd: spec.args?.length ? spec.args : undefined,
    Env: [...env].map(([k, v]) => `${k}=${v}`),
    WorkingDir: spec.workingDir,
    Labels: pod.labels,
    HostConfig: {
      NetworkMode: pod.network,
      IpcMode: pod.ipc,
      Binds: spec.mounts.map((m) => `${m.hostPath}:${m.containerPath}${m.readOnly ? ":ro" : ""}`),
      Memory: spec.memoryLimitBytes,
      // Equal to Memory: no swap on top, so the limit is the limit.
      MemorySwap: spec.memoryLimitBytes,
      NanoCpus: spec.cpuLimitMillis !== undefined ? spec.cpuLimitMillis * 1_000_000 : undefined,
      CpuShares: spec.cpuRequestMillis !== undefined ? cpuShares(spec.cpuRequestMillis) : undefined,
      RestartPolicy: { Name: "no" }, // the agent restarts, with back-off
      LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "2" } },
    },
  };
}

/** `fromImage` and `tag`: without a tag Docker would pull every tag of the repository. */
function pullQuery(ref: string): { fromImage: string; tag?: string } {
  if (ref.includes("@")) return { fromImage: ref };
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon > slash) return { fromImage: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { fromImage: ref, tag: "latest" };
}

function bodyChunks(res: Response): AsyncIterable<Uint8Array> {
  if (!res.body) return (async function* () {})();
  return res.body;
}
