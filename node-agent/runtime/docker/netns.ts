// Pinning a Docker infra container's network namespace at /var/run/netns/<name>
// with iproute2 (`ip netns attach`), so CNI ADD/DEL work on a path exactly as
// they do for containerd pods, and the namespace outlives the infra process.

import { statSync } from "node:fs";
import { runCommand, type CommandResult } from "../../exec/command.ts";
import { RuntimeError } from "../runtime.ts";

export const NETNS_DIR = "/var/run/netns";

export const netnsPath = (name: string) => `${NETNS_DIR}/${name}`;

/**
 * Pins the network namespace of `pid` as `name` and brings its loopback up.
 * Idempotent: a pin of the same namespace is kept; a stale or different one is replaced.
 */
export async function pinNetns(name: string, pid: number): Promise<string> {
  const path = netnsPath(name);
  const want = inode(`/proc/${pid}/ns/net`);
  if (!want) throw new RuntimeError("SandboxError", `process ${pid} of sandbox ${name} is gone`);
  const have = inode(path);
  if (have && have.dev === want.dev && have.ino === want.ino) return path;
  if (have) await ip(["netns", "del", name]);
  await ip(["netns", "attach", name, String(pid)]);
  await ip(["-n", name, "link", "set", "lo", "up"]);
  return path;
}

/** Removes the pin; idempotent. */
export async function unpinNetns(name: string): Promise<void> {
  if (inode(netnsPath(name))) await ip(["netns", "del", name]);
}

function inode(path: string): { dev: number; ino: number } | undefined {
  try {
    const s = statSync(path);
    return { dev: s.dev, ino: s.ino };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

async function ip(args: string[]): Promise<void> {
  const command = `ip ${args.join(" ")}`;
  let r: CommandResult;
  try {
    r = await runCommand(["ip", ...args]);
  } catch (e) {
    throw new RuntimeError("SandboxError", `${command}: ${String(e)} (apt-get install iproute2)`, command);
  }
  if (r.exitCode !== 0) throw new RuntimeError("SandboxError", r.stderr.trim() || `${command}: exit code ${r.exitCode}`, command);
}
