// The containerd driver: ContainerRuntime through the `ctr` CLI, one containerd
// namespace per agent. A sandbox is a named netns (sandboxes.ts); a container
// is `ctr run -d` joined to it, logging through a binary:// logger (logs.ts);
// exits come from a `ctr events` child (events.ts) with a cgroup / `tasks
// delete` fallback; image configs are read with `ctr content get`
// (image-config.ts). RUNTIME.md records the ctr behaviour this relies on.

import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  RuntimeError,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerState,
  type ContainerStateName,
  type ImageInfo,
  type Labels,
  type LogOptions,
  type Sandbox,
  type SandboxSpec,
} from "../runtime.ts";
import { Cgroups } from "./cgroups.ts";
import { CommandError, Ctr } from "./ctr.ts";
import { TaskEventMonitor, type TaskExit } from "./events.ts";
import { ImageConfigReader, mergeEnv, normalizeRef, parseImageRows, refCandidates, resolveArgv, type ImageRow } from "./image-config.ts";
import { CRI_LOGGER_SCRIPT, formatLine, parseCriLine, readLinesFrom, readTail } from "./logs.ts";
import { SandboxStore, utsPath } from "./sandboxes.ts";

export interface ContainerdRuntimeOptions {
  /** containerd namespace; unique per agent when several share one containerd. */
  namespace?: string;
  /** containerd socket (default /run/containerd/containerd.sock). */
  address?: string;
  /** The driver's own files: the logger script, sandbox records. */
  stateDir: string;
  /** Where background trouble goes (the events child dying, say). */
  warn?: (message: string) => void;
}

const CONTAINER_ID = /^[A-Za-z0-9_.-]{1,63}$/;
/** Labels the driver itself keeps on a container record; not shown to callers. */
const EXIT_CODE_LABEL = "tug.runtime.exit-code";
const OOM_LABEL = "tug.runtime.oom-killed";
const FINISHED_LABEL = "tug.runtime.finished-at";
const CFS_PERIOD_US = 100_000;
const FOLLOW_POLL_MS = 200;

interface ContainerInfo {
  labels: Labels;
  createdAt: string;
}

type TaskStatus = "RUNNING" | "STOPPED" | "CREATED" | "PAUSED" | "PAUSING" | "UNKNOWN";

export class ContainerdRuntime implements ContainerRuntime {
  readonly name = "containerd" as const;
  private readonly ctr: Ctr;
  private readonly namespace: string;
  private readonly loggerPath: string;
  private readonly sandboxes: SandboxStore;
  private readonly events: TaskEventMonitor;
  private readonly imageConfigs: ImageConfigReader;
  private readonly cgroups = new Cgroups();
  /** Labels never change after create, so `containers info` runs once per container. */
  private readonly infoCache = new Map<string, ContainerInfo>();
  /** Exits learned without an event (after an agent restart), by container id. */
  private readonly recovered = new Map<string, Promise<TaskExit | undefined>>();
  private readonly warn: (message: string) => void;
  private startsInFlight = 0;
  private execSeq = 0;

  constructor(opts: ContainerdRuntimeOptions) {
    this.namespace = opts.namespace ?? "tug";
    this.warn = opts.warn ?? ((m) => console.warn(`containerd runtime: ${m}`));
    this.ctr = new Ctr({ address: opts.address, namespace: this.namespace });
    mkdirSync(opts.stateDir, { recursive: true });
    this.loggerPath = join(opts.stateDir, "cri-logger.sh");
    writeFileSync(this.loggerPath, CRI_LOGGER_SCRIPT);
    chmodSync(this.loggerPath, 0o755);
    this.sandboxes = new SandboxStore(opts.stateDir);
    this.imageConfigs = new ImageConfigReader(this.ctr);
    this.events = new TaskEventMonitor(this.ctr, this.namespace, this.warn);
    this.events.start();
  }

  async version(): Promise<string> {
    const { stdout } = await this.call(["version"]);
    const server = stdout.slice(stdout.indexOf("Server:"));
    const m = /Version:\s*(\S+)/.exec(server);
    if (!m) throw new RuntimeError("RuntimeUnavailable", `containerd at ${this.ctr.address} reported no version`, stdout);
    return `containerd://${m[1]}`;
  }

  // Images

  async hasImage(ref: string): Promise<boolean> {
    return (await this.findImage(ref)) !== undefined;
  }

  async pullImage(ref: string): Promise<void> {
    try {
      await this.call(["images", "pull", normalizeRef(ref)]);
    } catch (e) {
      if (e instanceof CommandError) throw new RuntimeError("ErrImagePull", e.ctrMessage, e.argv.join(" "));
      throw e;
    }
  }

  async importImage(tarPath: string): Promise<string[]> {
    try {
      const { stdout } = await this.call(["images", "import", tarPath]);
      return [...stdout.matchAll(/^unpacking (\S+) \(/gm)].map((m) => m[1] as string);
    } catch (e) {
      if (e instanceof CommandError) throw new RuntimeError("ErrImagePull", `import ${tarPath}: ${e.ctrMessage}`, e.argv.join(" "));
      throw e;
    }
  }

  async listImages(): Promise<ImageInfo[]> {
    const byDigest = new Map<string, ImageInfo>();
    for (const row of await this.imageRows()) {
      const img = byDigest.get(row.digest) ?? { refs: [], id: row.digest, sizeBytes: row.sizeBytes };
      img.refs.push(row.ref);
      byDigest.set(row.digest, img);
    }
    return [...byDigest.values()];
  }

  async removeImage(ref: string): Promise<void> {
    const names = new Set(refCandidates(ref));
    const present = (await this.imageRows()).filter((r) => names.has(r.ref)).map((r) => r.ref);
    if (present.length === 0) return;
    const { stdout } = await this.call(["containers", "ls"]);
    for (const line of stdout.split("\n").slice(1)) {
      const [id, image] = line.trim().split(/\s+/);
      if (id && image && present.includes(image)) throw new Error(`image ${ref} is in use by container ${id}`);
    }
    await this.call(["images", "rm", ...present]);
  }

  // Sandboxes

  createSandbox(spec: SandboxSpec): Promise<Sandbox> {
    return this.sandboxes.create(spec);
  }

  removeSandbox(id: string): Promise<void> {
    return this.sandboxes.remove(id);
  }

  async listSandboxes(labels: Labels): Promise<Sandbox[]> {
    return this.sandboxes.list(labels);
  }

  // Containers

  async startContainer(sandbox: Sandbox, spec: ContainerSpec, logPath: string): Promise<void> {
    if (!CONTAINER_ID.test(spec.id)) throw new RuntimeError("CreateContainerError", `container id ${JSON.stringify(spec.id)} is not [A-Za-z0-9_.-], at most 63 chars`);
    this.startsInFlight++;
    try {
      const args = await this.runArgs(sandbox, spec, logPath);
      mkdirSync(dirname(logPath), { recursive: true });
      this.events.forget(spec.id);
      this.infoCache.delete(spec.id);
      try {
        await this.ctr.run(args);
      } catch (e) {
        if (!(e instanceof CommandError)) throw e;
        const message = e.ctrMessage;
        // A duplicate id fails before anything is created: the existing container is not ours to delete.
        if (!/already exists/.test(message)) await this.deleteContainerRecord(spec.id);
        const reason = /OCI runtime|runc|exec:|starting container process/.test(message) ? "ContainerCannotRun" : "CreateContainerError";
        throw new RuntimeError(reason, message, e.argv.join(" "));
      }
    } finally {
      this.startsInFlight--;
    }
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    if ((await this.taskStatus(id)) !== "RUNNING") return;
    if (!(await this.kill(id, "SIGTERM"))) return;
    if (await this.waitStopped(id, graceSeconds * 1000)) return;
    await this.kill(id, "SIGKILL");
    if (!(await this.waitStopped(id, 10_000))) throw new RuntimeError("RuntimeUnavailable", `container ${id} still running 10 s after SIGKILL`);
  }

  async removeContainer(id: string): Promise<void> {
    // -f kills a running task (SIGKILL) before deleting it.
    await this.ctr.runIgnoringNotFound(["tasks", "delete", "-f", id]);
    await this.deleteContainerRecord(id);
  }

  async listContainers(labels: Labels): Promise<ContainerState[]> {
    const filter = Object.entries(labels)
      .map(([k, v]) => `labels.${JSON.stringify(k)}==${JSON.stringify(v)}`)
      .join(",");
    const [ls, tasks] = await Promise.all([this.call(["containers", "ls", "-q", ...(filter ? [filter] : [])]), this.tasks()]);
    const ids = ls.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
    const states = await Promise.all(ids.map((id) => this.state(id, tasks.get(id))));
    return states.filter((s): s is ContainerState => s !== undefined);
  }

  async exec(id: string, argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const execId = `tug-exec-${process.pid}-${++this.execSeq}`;
    try {
      const r = await this.ctr.run(["tasks", "exec", "--exec-id", execId, id, ...argv], { timeoutMs, all: true, allowExitCode: true });
      // A failure of ctr itself (no such task, exec refused) is not the process's exit code.
      if (r.exitCode !== 0 && /^ctr: /m.test(r.stderr)) throw new CommandError(["ctr", ...this.ctr.globalArgs(), "tasks", "exec", id, ...argv], r.exitCode, r.stderr);
      return { exitCode: r.exitCode, output: r.all };
    } catch (e) {
      if (e instanceof CommandError && e.timedOut) {
        await this.ctr.runIgnoringNotFound(["tasks", "kill", "--exec-id", execId, "-s", "SIGKILL", id]).catch((k: unknown) => this.warn(`kill timed-out exec ${execId}: ${String(k)}`));
      }
      throw e;
    }
  }

  async *logs(id: string, logPath: string, opts: LogOptions): AsyncIterable<string> {
    const first = opts.tailLines !== undefined ? readTail(logPath, opts.tailLines) : readLinesFrom(logPath, 0);
    for (const line of first.lines) yield* this.format(line, opts.timestamps);
    if (!opts.follow) return;
    let next = first.next;
    let lastCheck = 0;
    while (!opts.signal?.aborted) {
      await sleep(FOLLOW_POLL_MS, opts.signal);
      if (opts.signal?.aborted) return;
      const r = readLinesFrom(logPath, next);
      next = r.next;
      for (const line of r.lines) yield* this.format(line, opts.timestamps);
      if (r.lines.length > 0 || Date.now() - lastCheck < 1_000) continue;
      lastCheck = Date.now();
      if (this.events.get(id) || (await this.taskStatus(id)) !== "RUNNING") {
        // Exited: drain what the logger wrote after our last read, then end.
        const rest = readLinesFrom(logPath, next);
        for (const line of rest.lines) yield* this.format(line, opts.timestamps);
        return;
      }
    }
  }

  async stats(id: string): Promise<{ memoryBytes: number; cpuNanos: number } | undefined> {
    return this.cgroups.stats(this.cgroupPath(id));
  }

  async close(): Promise<void> {
    await this.events.close();
  }

  // Internals

  /** `ctr` with its failures as RuntimeUnavailable when containerd (or ctr) is not there. */
  private async call(args: string[]) {
    try {
      return await this.ctr.run(args);
    } catch (e) {
      if (e instanceof CommandError && (e.missingBinary || /failed to dial|error while dialing/i.test(e.stderr))) {
        const why = e.missingBinary ? "ctr not found" : e.ctrMessage;
        throw new RuntimeError("RuntimeUnavailable", `containerd is not running at ${this.ctr.address}: ${why} (apt-get install containerd runc, and start containerd)`, e.argv.join(" "));
      }
      throw e;
    }
  }

  private async imageRows(): Promise<ImageRow[]> {
    return parseImageRows((await this.call(["images", "ls"])).stdout);
  }

  private async findImage(ref: string): Promise<ImageRow | undefined> {
    const rows = await this.imageRows();
    for (const name of refCandidates(ref)) {
      const row = rows.find((r) => r.ref === name);
      if (row) return row;
    }
    return undefined;
  }

  private cgroupPath(id: string): string {
    // Under the namespace: two agents sharing a machine never share a cgroup.
    return `/${this.namespace}/${id}`;
  }

  private async runArgs(sandbox: Sandbox, spec: ContainerSpec, logPath: string): Promise<string[]> {
    const image = await this.findImage(spec.image);
    if (!image) throw new RuntimeError("CreateContainerError", `image ${spec.image} is not present on this node`);
    const config = await this.imageConfigs.read(image);
    const argv = resolveArgv(spec, config);
    if (argv.length === 0) throw new RuntimeError("CreateContainerError", `image ${spec.image} has no ENTRYPOINT or CMD and the container gives no command`);

    const args = ["run", "-d", "--cgroup", this.cgroupPath(spec.id)];
    args.push("--log-uri", `binary://${this.loggerPath}?path=${encodeURIComponent(logPath)}`);
    if (sandbox.netnsPath) args.push("--with-ns", `network:${sandbox.netnsPath}`, "--with-ns", `uts:${utsPath(sandbox.id)}`);
    else args.push("--net-host");
    for (const [k, v] of Object.entries(spec.labels)) args.push("--label", `${k}=${v}`);
    for (const kv of mergeEnv(config.env, spec.env)) args.push("--env", kv);
    args.push("--cwd", spec.workingDir || config.workingDir);
    for (const m of spec.mounts) {
      if (/,/.test(m.hostPath + m.containerPath)) throw new RuntimeError("CreateContainerError", `mount path with a comma is not supported: ${m.hostPath} -> ${m.containerPath}`);
      args.push("--mount", `type=bind,src=${m.hostPath},dst=${m.containerPath},options=rbind:${m.readOnly ? "ro" : "rw"}`);
    }
    if (spec.memoryLimitBytes !== undefined) args.push("--memory-limit", String(spec.memoryLimitBytes));
    if (spec.cpuLimitMillis !== undefined) {
      const quota = Math.max(1_000, Math.round((spec.cpuLimitMillis * CFS_PERIOD_US) / 1000));
      args.push("--cpu-quota", String(quota), "--cpu-period", String(CFS_PERIOD_US));
    }
    if (spec.cpuRequestMillis !== undefined) args.push("--cpu-shares", String(Math.max(2, Math.round((spec.cpuRequestMillis * 1024) / 1000))));
    args.push(image.ref, spec.id, ...argv);
    return args;
  }

  /** containers delete plus the driver's leftovers; idempotent. */
  private async deleteContainerRecord(id: string): Promise<void> {
    await this.ctr.runIgnoringNotFound(["containers", "delete", id]);
    this.infoCache.delete(id);
    this.recovered.delete(id);
    this.events.forget(id);
    // runc removes only the leaf; the namespace dir goes once no start is racing to reuse it.
    if (this.startsInFlight === 0) this.cgroups.removeIfEmpty(`/${this.namespace}`);
  }

  /** `ctr tasks ls`: TASK PID STATUS. */
  private async tasks(): Promise<Map<string, TaskStatus>> {
    const { stdout } = await this.call(["tasks", "ls"]);
    const out = new Map<string, TaskStatus>();
    for (const line of stdout.split("\n").slice(1)) {
      const [id, , status] = line.trim().split(/\s+/);
      if (id && status) out.set(id, status as TaskStatus);
    }
    return out;
  }

  private async taskStatus(id: string): Promise<TaskStatus | undefined> {
    return (await this.tasks()).get(id);
  }

  /** Signals the task; false when there is no running task to signal. */
  private async kill(id: string, signal: "SIGTERM" | "SIGKILL"): Promise<boolean> {
    return (await this.ctr.runIgnoringNotFound(["tasks", "kill", "-s", signal, id])) !== undefined;
  }

  /** Waits up to `ms` for the task to stop: the exit event when it comes, `tasks ls` as the check. */
  private async waitStopped(id: string, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    for (;;) {
      if (this.events.get(id)) return true;
      if ((await this.taskStatus(id)) !== "RUNNING") return true;
      const left = end - Date.now();
      if (left <= 0) return false;
      await this.events.waitExit(id, Math.min(left, 250));
    }
  }

  private async info(id: string): Promise<ContainerInfo | undefined> {
    const hit = this.infoCache.get(id);
    if (hit) return hit;
    const r = await this.ctr.runIgnoringNotFound(["containers", "info", id]);
    if (!r) return undefined;
    const raw = JSON.parse(r.stdout) as { Labels?: Labels | null; CreatedAt?: string };
    const info = { labels: raw.Labels ?? {}, createdAt: raw.CreatedAt ?? "" };
    this.infoCache.set(id, info);
    return info;
  }

  private async state(id: string, task: TaskStatus | undefined): Promise<ContainerState | undefined> {
    const info = await this.info(id);
    if (!info) return undefined;
    const labels = Object.fromEntries(Object.entries(info.labels).filter(([k]) => !k.startsWith("tug.runtime.") && !k.startsWith("io.containerd.")));
    const base = { id, labels, startedAt: info.createdAt || undefined };
    if (task === "RUNNING" || task === "PAUSED" || task === "PAUSING") return { ...base, state: "running" };
    if (task === "CREATED") return { ...base, state: "created" };
    if (task === "STOPPED") {
      const exit = await this.exitOf(id, info);
      if (exit) return { ...base, state: "exited", exitCode: exit.exitCode, oomKilled: exit.oom && exit.exitCode === 137, finishedAt: exit.finishedAt };
      return { ...base, state: "unknown", message: "task stopped, exit status unknown" };
    }
    const kept = keptExit(info.labels);
    if (kept) return { ...base, state: "exited", exitCode: kept.exitCode, oomKilled: kept.oom && kept.exitCode === 137, finishedAt: kept.finishedAt };
    const state: ContainerStateName = task === undefined ? "created" : "unknown";
    return { ...base, state };
  }

  /** How a STOPPED task ended: the event, or (when it was missed) the cgroup and `tasks delete`. */
  private async exitOf(id: string, info: ContainerInfo): Promise<TaskExit | undefined> {
    const seen = this.events.get(id);
    if (seen) return { ...seen, oom: seen.oom || this.events.sawOom(id) };
    // The event usually trails `tasks ls` by a few ms.
    await this.events.waitExit(id, 300);
    const late = this.events.get(id);
    if (late) return { ...late, oom: late.oom || this.events.sawOom(id) };
    let pending = this.recovered.get(id);
    if (!pending) {
      pending = this.recoverExit(id, info);
      this.recovered.set(id, pending);
    }
    return pending;
  }

  /**
   * The event was missed (agent restart, events child respawning). OOM is read
   * from the cgroup before `tasks delete` removes it; the exit code from the
   * delete's warning; both are kept as labels so the next restart still knows.
   */
  private async recoverExit(id: string, info: ContainerInfo): Promise<TaskExit | undefined> {
    const oom = this.cgroups.oomKilled(this.cgroupPath(id)) || this.events.sawOom(id);
    let r;
    try {
      r = await this.ctr.runIgnoringNotFound(["tasks", "delete", id]);
    } catch (e) {
      this.recovered.delete(id);
      throw e;
    }
    if (!r) {
      this.recovered.delete(id);
      return undefined;
    }
    const m = /exit with non-zero exit code (\d+)/.exec(r.stderr);
    const exit: TaskExit = { exitCode: m ? Number(m[1]) : 0, oom, finishedAt: new Date().toISOString() };
    const kept = { [EXIT_CODE_LABEL]: String(exit.exitCode), [OOM_LABEL]: String(exit.oom), [FINISHED_LABEL]: exit.finishedAt };
    await this.ctr.run(["containers", "label", id, ...Object.entries(kept).map(([k, v]) => `${k}=${v}`)]);
    info.labels = { ...info.labels, ...kept };
    this.warn(`container ${id}: exit event missed, recovered exit code ${exit.exitCode}${exit.oom ? " (OOM)" : ""} from tasks delete`);
    return exit;
  }

  private *format(line: string, timestamps: boolean): Iterable<string> {
    const parsed = parseCriLine(line);
    if (parsed) yield formatLine(parsed, timestamps);
  }
}

function keptExit(labels: Labels): TaskExit | undefined {
  const code = labels[EXIT_CODE_LABEL];
  if (code === undefined) return undefined;
  return { exitCode: Number(code), oom: labels[OOM_LABEL] === "true", finishedAt: labels[FINISHED_LABEL] ?? "" };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
