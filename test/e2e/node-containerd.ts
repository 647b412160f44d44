// One node's own containerd: its own root, state, sockets and config, started
// inside the node's network namespace (so its shims, and the containers' host
// side, live "on" that node) and stopped by PID. Each node also uses its own
// containerd namespace: containerd 1.6 keeps runc state (/run/containerd/runc/
// <ns>/<id>) and cgroups (/<ns>/<id>) per namespace, not per daemon, and its
// config has no runc root outside the CRI plugin, so the namespace is what
// keeps two daemons' containers apart.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { must, netnsPath, sh } from "./fabric.ts";

export class NodeContainerd {
  readonly socket: string;
  readonly root: string;
  readonly state: string;
  private readonly config: string;
  private proc: ReturnType<typeof Bun.spawn> | undefined;

  constructor(
    readonly dir: string,
    readonly netns: string,
    /** The containerd namespace the node's agent uses (unique per node and run). */
    readonly namespace: string,
  ) {
    this.socket = join(dir, "containerd.sock");
    this.root = join(dir, "root");
    this.state = join(dir, "state");
    this.config = join(dir, "config.toml");
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(logFile: string): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(
      this.config,
      [
        "version = 2",
        `root = "${this.root}"`,
        `state = "${this.state}"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        `[grpc]\n  address = "${this.socket}"`,
        `[ttrpc]\n  address = "${this.socket}.ttrpc"`,
        `[debug]\n  address = "${join(this.dir, "debug.sock")}"`,
        '[metrics]\n  address = ""',
        `[plugins."io.containerd.internal.v1.opt"]\n  path = "${join(this.dir, "opt")}"`,
        "",
      ].join("\n"),
    );
    this.proc = Bun.spawn(["nsenter", `--net=${netnsPath(this.netns)}`, "containerd", "--config", this.config], { stdout: Bun.file(logFile), stderr: Bun.file(logFile) });
    const end = Date.now() + 20_000;
    while ((await sh(["ctr", "--address", this.socket, "version"])).code !== 0) {
      if (Date.now() > end || this.proc.exitCode !== null) throw new Error(`containerd for ${this.netns} did not start: see ${logFile}`);
      await Bun.sleep(50);
    }
  }

  async importImage(tar: string): Promise<void> {
    await must(["ctr", "--address", this.socket, "-n", this.namespace, "images", "import", tar]);
  }

  /** SIGKILL containerd (its shims and containers are the caller's to kill: they outlive it). */
  async kill(): Promise<void> {
    if (!this.proc) return;
    this.proc.kill("SIGKILL");
    await this.proc.exited;
    this.proc = undefined;
  }

  /** PIDs in this namespace's cgroups: the containers, wherever their network namespace is. */
  containerPids(): number[] {
    const pids: number[] = [];
    const walk = (d: string) => {
      if (!existsSync(d)) return;
      const procs = join(d, "cgroup.procs");
      if (existsSync(procs)) pids.push(...readFileSync(procs, "utf8").split("\n").filter(Boolean).map(Number));
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    };
    for (const base of ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup"]) walk(join(base, this.namespace));
    return [...new Set(pids)];
  }

  /** Everything this daemon left: mounts under root and state, runc state, cgroups, the directory. */
  async removeState(): Promise<void> {
    for (const m of [...mountsUnder(this.state), ...mountsUnder(this.root)]) await sh(["umount", "--lazy", m]);
    rmSync(join("/run/containerd/runc", this.namespace), { recursive: true, force: true });
    for (const base of readdirSync("/sys/fs/cgroup")) {
      const top = join("/sys/fs/cgroup", base, this.namespace);
      if (existsSync(top)) await sh(["find", top, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"]);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  leftovers(): string[] {
    const left: string[] = [];
    if (existsSync(this.dir)) left.push(`directory ${this.dir}`);
    for (const d of [this.state, this.root]) for (const m of mountsUnder(d)) left.push(`mount ${m}`);
    for (const base of existsSync("/sys/fs/cgroup") ? readdirSync("/sys/fs/cgroup") : []) {
      const top = join("/sys/fs/cgroup", base, this.namespace);
      if (existsSync(top)) left.push(`cgroup ${top}`);
    }
    return left;
  }
}

/** Mount points at or under `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  const points = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}
