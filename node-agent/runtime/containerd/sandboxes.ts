// Pod sandboxes for the containerd driver. containerd has no sandbox object
// when driven through ctr, so a sandbox is a named network namespace
// (`ip netns add`, loopback up), a pinned UTS namespace carrying the pod's
// hostname (`ctr run` has no --hostname), and a small JSON record under the
// driver's state dir that keeps its labels across agent restarts.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCommand, type CommandResult } from "../../exec/command.ts";
import { RuntimeError, type Labels, type Sandbox, type SandboxSpec } from "../runtime.ts";

const NETNS_DIR = "/var/run/netns";
const UTS_DIR = "/run/tug/uts";
const SANDBOX_ID = /^[a-z0-9-]{1,48}$/;

interface SandboxRecord {
  id: string;
  hostname: string;
  hostNetwork: boolean;
  labels: Labels;
}

export function labelsMatch(have: Labels, want: Labels): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

export class SandboxStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, "sandboxes");
    mkdirSync(this.dir, { recursive: true });
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    if (!SANDBOX_ID.test(spec.id)) throw new RuntimeError("SandboxError", `sandbox id ${JSON.stringify(spec.id)} is not [a-z0-9-], at most 48 chars`);
    if (!spec.hostNetwork) {
      const path = netnsPath(spec.id);
      if (!existsSync(path)) await ip(["netns", "add", spec.id], /File exists/);
      // Without lo up, containers of one pod cannot reach each other on 127.0.0.1.
      await ip(["-n", spec.id, "link", "set", "lo", "up"]);
      await pinUts(spec.id, spec.hostname);
    }
    const record: SandboxRecord = { id: spec.id, hostname: spec.hostname, hostNetwork: spec.hostNetwork, labels: spec.labels };
    const file = this.file(spec.id);
    writeFileSync(`${file}.tmp`, JSON.stringify(record));
    renameSync(`${file}.tmp`, file);
    return toSandbox(record);
  }

  get(id: string): Sandbox | undefined {
    const r = this.read(id);
    return r && toSandbox(r);
  }

  async remove(id: string): Promise<void> {
    if (existsSync(netnsPath(id))) await ip(["netns", "del", id], /No such file/);
    await unpinUts(id);
    rmSync(this.file(id), { force: true });
  }

  list(labels: Labels): Sandbox[] {
    const out: Sandbox[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith(".json")) continue;
      const r = this.read(name.slice(0, -".json".length));
      if (r && labelsMatch(r.labels, labels)) out.push(toSandbox(r));
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  private read(id: string): SandboxRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.file(id), "utf8")) as SandboxRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new RuntimeError("SandboxError", `sandbox record ${this.file(id)} is unreadable: ${String(e)}`);
    }
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }
}

export function netnsPath(id: string): string {
  return join(NETNS_DIR, id);
}

/** The pinned UTS namespace of a (non-hostNetwork) sandbox, for `--with-ns uts:<path>`. */
export function utsPath(id: string): string {
  return join(UTS_DIR, id);
}

function isMountPoint(path: string): boolean {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .some((line) => line.split(" ")[4] === path);
}

/** A new UTS namespace with the pod's hostname, bind-mounted on a file so it outlives the command. */
async function pinUts(id: string, hostname: string): Promise<void> {
  const path = utsPath(id);
  if (isMountPoint(path)) return;
  mkdirSync(UTS_DIR, { recursive: true });
  writeFileSync(path, "");
  await run("unshare", [`--uts=${path}`, "hostname", hostname], "apt-get install util-linux");
}

async function unpinUts(id: string): Promise<void> {
  const path = utsPath(id);
  if (isMountPoint(path)) await run("umount", [path], "apt-get install mount");
  rmSync(path, { force: true });
}

async function run(cmd: string, args: string[], install: string): Promise<void> {
  const r = await start(cmd, args, install);
  if (r.exitCode === 0) return;
  throw new RuntimeError("SandboxError", `${cmd} ${args.join(" ")}: ${r.stderr.trim()}`, `${cmd} ${args.join(" ")}`);
}

/** Runs the command; a failure to start it at all is a SandboxError with the install hint. */
async function start(cmd: string, args: string[], install: string): Promise<CommandResult> {
  try {
    return await runCommand([cmd, ...args]);
  } catch (e) {
    throw new RuntimeError("SandboxError", `${cmd} ${args.join(" ")}: ${String(e)} (${install})`, `${cmd} ${args.join(" ")}`);
  }
}

function toSandbox(r: SandboxRecord): Sandbox {
  return r.hostNetwork ? { id: r.id, labels: r.labels } : { id: r.id, netnsPath: netnsPath(r.id), labels: r.labels };
}

/** Runs `ip ...`; an error whose stderr matches `tolerate` counts as done (a concurrent add/del won). */
async function ip(args: string[], tolerate?: RegExp): Promise<void> {
  const r = await start("ip", args, "apt-get install iproute2");
  if (r.exitCode === 0) return;
  const stderr = r.stderr.trim();
  if (tolerate?.test(stderr)) return;
  throw new RuntimeError("SandboxError", `ip ${args.join(" ")}: ${stderr}`, `ip ${args.join(" ")}`);
}
