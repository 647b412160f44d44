// What the node agent reads about its machine: the facts a Node's status is
// built from (collectNodeFacts), the cheap thermal reading it refreshes on
// every heartbeat (collectThermal), and the pressure readings the eviction
// conditions come from (collectPressure). The planner that turns them into a
// Node status is node-status.ts; this file only reads.
//
// The facts come straight from /proc, /sys and node:os, the same sources
// systeminformation reads, without systeminformation: importing its index
// costs ~29 MB RSS and even its system module alone ~12 MB (the agent's idle
// target is < 45 MB), and its Linux cpuTemperature() runs shells through
// execSync (blocking the event loop) before trying `sensors`, which is too
// much for a reading taken every heartbeat. The board model comes from the
// device tree (Raspberry Pi and most ARM boards), else from DMI (PCs, VMs).
//
// Files are read synchronously on purpose: they are tiny, /proc and /sys are
// generated in memory, and under Bun 1400 rounds of promise-based reads grew
// RSS by ~12 MB against ~2 MB for the same reads done synchronously.

import { readFileSync, readdirSync, statfsSync } from "node:fs";
import os from "node:os";
import { dirname } from "node:path";
import { runChecked } from "../exec/command.ts";

export interface NodeAddressFact {
  type: "InternalIP" | "Hostname";
  address: string;
}

export interface NodeFacts {
  hostname: string;
  /** InternalIP first (when the machine has one), then Hostname. */
  addresses: NodeAddressFact[];
  cpuCount: number;
  memoryTotalBytes: number;
  /** Size of the filesystem that holds the data dir. */
  ephemeralStorageBytes: number;
  /** Go's GOARCH names: amd64, arm64, arm, ... */
  architecture: string;
  /** PRETTY_NAME of /etc/os-release, e.g. "Debian GNU/Linux 12 (bookworm)". */
  osImage: string;
  kernelVersion: string;
  operatingSystem: "linux";
  machineId?: string;
  bootId?: string;
  systemUuid?: string;
  boardModel?: string;
  socTemperatureCelsius?: number;
  /** Raw `vcgencmd get_throttled` flags, e.g. "0x50005"; undefined without vcgencmd. */
  throttledFlags?: string;
  /** Facts the machine has but that could not be read, each with why; the caller logs them. */
  problems: string[];
}

export interface ThermalFacts {
  socTemperatureCelsius?: number;
  throttledFlags?: string;
  problems: string[];
}

export interface PressureReadings {
  memoryAvailableBytes: number;
  diskAvailableBytes: number;
  diskCapacityBytes: number;
  pidsInUse: number;
  pidMax: number;
}

const NODE_TO_GO_ARCH: Readonly<Record<string, string>> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  // Node says ppc64 for both endians; Linux on POWER is little-endian in practice.
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mips: "mips",
  mipsel: "mipsle",
};

/** Node's process.arch -> Go's GOARCH, the names Kubernetes uses. */
export function goArch(nodeArch: string): string {
  return NODE_TO_GO_ARCH[nodeArch] ?? nodeArch;
}

/** PRETTY_NAME of an os-release file, unquoted; "Linux" when it has none (as cAdvisor does). */
export function parseOsRelease(text: string): string {
  const line = text.split("\n").find((l) => l.startsWith("PRETTY_NAME="));
  if (!line) return "Linux";
  const raw = line.slice("PRETTY_NAME=".length).trim();
  const unquoted = /^(["'])(.*)\1$/.exec(raw)?.[2] ?? raw;
  return unquoted.replace(/\\(.)/g, "$1") || "Linux";
}

/** The interface of the default IPv4 route with the lowest metric, from /proc/net/route. */
export function parseDefaultRouteInterface(procNetRoute: string): string | undefined {
  let best: { iface: string; metric: number } | undefined;
  for (const line of procNetRoute.split("\n").slice(1)) {
    const [iface, destination, , flags, , , metric, mask] = line.trim().split(/\s+/);
    if (!iface || destination !== "00000000" || mask !== "00000000") continue;
    // RTF_UP
    if ((parseInt(flags ?? "0", 16) & 0x1) === 0) continue;
    const m = Number(metric);
    if (!best || m < best.metric) best = { iface, metric: m };
  }
  return best?.iface;
}

// Bridges, veths and tunnels that container runtimes, CNI and tug itself
// create: their addresses are not how other nodes reach this one.
const VIRTUAL_INTERFACE = /^(lo|docker|br-|veth|cni|flannel|cali|cilium|virbr|tug|kube-ipvs|dummy|vxlan|tun|tap)/;

export interface InterfaceAddress {
  family: "IPv4" | "IPv6";
  address: string;
  internal: boolean;
}

/**
 * The InternalIP: the first non-internal IPv4 of the default-route interface;
 * without one, the first of an interface that does not look virtual; link-local
 * (169.254/16) only when nothing else exists.
 */
export function pickInternalIp(interfaces: Readonly<Record<string, readonly InterfaceAddress[] | undefined>>, defaultInterface: string | undefined): string | undefined {
  const ipv4 = (name: string) => (interfaces[name] ?? []).filter((a) => a.family === "IPv4" && !a.internal).map((a) => a.address);
  const routable = (a: string) => !a.startsWith("169.254.");
  if (defaultInterface) {
    const hit = ipv4(defaultInterface).find(routable);
    if (hit) return hit;
  }
  const names = Object.keys(interfaces).sort();
  const physical = names.filter((n) => !VIRTUAL_INTERFACE.test(n));
  for (const group of [physical, names]) {
    for (const name of group) {
      const hit = ipv4(name).find(routable);
      if (hit) return hit;
    }
  }
  for (const name of names) {
    const hit = ipv4(name)[0];
    if (hit) return hit;
  }
  return undefined;
}

/** `throttled=0x50005` -> "0x50005"; undefined when the output has no flags. */
export function parseThrottledOutput(stdout: string): string | undefined {
  return /throttled=(0x[0-9a-fA-F]+)/.exec(stdout)?.[1]?.toLowerCase();
}

/** A /proc/meminfo field in bytes ("MemAvailable:  123 kB"). */
export function meminfoBytes(meminfo: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s*kB`, "m").exec(meminfo);
  return m ? Number(m[1]) * 1024 : undefined;
}

function errorCode(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

/**
 * A small text file, trimmed (and without the NUL device-tree strings end in);
 * undefined when the machine does not have it. Any other failure (EACCES, EIO)
 * is recorded in `problems`: the fact exists but this agent cannot read it.
 */
function readOptional(path: string, problems: string[]): string | undefined {
  try {
    const text = readFileSync(path, "utf8").replace(/\0+$/, "").trim();
    return text || undefined;
  } catch (e) {
    const code = errorCode(e);
    if (code !== "ENOENT" && code !== "ENOTDIR") problems.push(`${path}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** statfs of the data dir, or of its nearest existing parent before the agent has created it. */
function statfsNearest(path: string): { bsize: number; blocks: number; bavail: number } {
  let p = path;
  for (;;) {
    try {
      return statfsSync(p);
    } catch (e) {
      const parent = dirname(p);
      if (errorCode(e) !== "ENOENT" || parent === p) throw e;
      p = parent;
    }
  }
}

/**
 * The SoC temperature: the thermal zone whose type names the CPU or SoC
 * (Raspberry Pi: cpu-thermal; x86: x86_pkg_temp), else zone 0.
 */
function readSocTemperature(problems: string[]): number | undefined {
  const base = "/sys/class/thermal";
  let zones: string[];
  try {
    zones = readdirSync(base).filter((z) => z.startsWith("thermal_zone")).sort((a, b) => Number(a.slice(12)) - Number(b.slice(12)));
  } catch (e) {
    if (errorCode(e) !== "ENOENT") problems.push(`${base}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  if (zones.length === 0) return undefined;
  let chosen = zones[0]!;
  for (const zone of zones) {
    const type = readOptional(`${base}/${zone}/type`, problems);
    if (type && /cpu|soc|x86_pkg/i.test(type)) {
      chosen = zone;
      break;
    }
  }
  const raw = readOptional(`${base}/${chosen}/temp`, problems);
  const milli = raw === undefined ? NaN : Number(raw);
  // Millidegrees; a zone whose sensor is absent reads an error or nonsense.
  if (!Number.isFinite(milli) || milli <= -100_000 || milli >= 200_000) return undefined;
  return Math.round(milli / 100) / 10;
}

async function readThrottledFlags(problems: string[]): Promise<string | undefined> {
  const vcgencmd = Bun.which("vcgencmd");
  if (!vcgencmd) return undefined;
  try {
    const stdout = (await runChecked([vcgencmd, "get_throttled"], { timeoutMs: 5000 })).stdout.trim();
    const flags = parseThrottledOutput(stdout);
    if (!flags) problems.push(`vcgencmd get_throttled: unexpected output ${JSON.stringify(stdout)}`);
    return flags;
  } catch (e) {
    problems.push(`vcgencmd get_throttled: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** Temperature and throttling only: the part of the facts that changes between heartbeats. */
export async function collectThermal(): Promise<ThermalFacts> {
  const problems: string[] = [];
  const socTemperatureCelsius = readSocTemperature(problems);
  const throttledFlags = await readThrottledFlags(problems);
  return { socTemperatureCelsius, throttledFlags, problems };
}

/** A PC's or VM's model from DMI ("<vendor> <product>"), as dmidecode would print it. */
function dmiModel(problems: string[]): string | undefined {
  const vendor = readOptional("/sys/class/dmi/id/sys_vendor", problems);
  const product = readOptional("/sys/class/dmi/id/product_name", problems);
  const parts = [vendor, product].filter((p): p is string => !!p && !/^(to be filled|default string|system product name)/i.test(p));
  return parts.length ? parts.join(" ") : undefined;
}

export interface CollectNodeFactsOptions {
  dataDir: string;
  /**
   * Facts from an earlier call. When the boot id is the same, what cannot
   * change without a reboot (board model, system UUID) is reused instead of
   * read again, so a periodic call never runs dmidecode.
   */
  previous?: NodeFacts;
}

export async function collectNodeFacts({ dataDir, previous }: CollectNodeFactsOptions): Promise<NodeFacts> {
  const problems: string[] = [];
  const hostname = os.hostname().toLowerCase();
  const osRelease = readOptional("/etc/os-release", problems) ?? readOptional("/usr/lib/os-release", problems);
  const machineId = readOptional("/etc/machine-id", problems) ?? readOptional("/var/lib/dbus/machine-id", problems);
  const bootId = readOptional("/proc/sys/kernel/random/boot_id", problems);
  const route = readOptional("/proc/net/route", problems);
  const fs = statfsNearest(dataDir);
  const thermal = await collectThermal();
  problems.push(...thermal.problems);

  let boardModel: string | undefined;
  let systemUuid: string | undefined;
  if (previous && bootId && previous.bootId === bootId) {
    ({ boardModel, systemUuid } = previous);
  } else {
    // Raspberry Pi and most ARM boards name themselves in the device tree.
    boardModel = readOptional("/proc/device-tree/model", problems);
    systemUuid = readOptional("/sys/class/dmi/id/product_uuid", problems);
    boardModel ??= dmiModel(problems);
  }

  const internalIp = pickInternalIp(os.networkInterfaces(), route ? parseDefaultRouteInterface(route) : undefined);
  const addresses: NodeAddressFact[] = [];
  if (internalIp) addresses.push({ type: "InternalIP", address: internalIp });
  addresses.push({ type: "Hostname", address: hostname });

  return {
    hostname,
    addresses,
    // Online CPUs, as cAdvisor counts them (not the agent's own affinity).
    cpuCount: os.cpus().length,
    memoryTotalBytes: os.totalmem(),
    ephemeralStorageBytes: fs.blocks * fs.bsize,
    architecture: goArch(process.arch),
    osImage: parseOsRelease(osRelease ?? ""),
    kernelVersion: os.release(),
    operatingSystem: "linux",
    machineId,
    bootId,
    systemUuid,
    boardModel,
    socTemperatureCelsius: thermal.socTemperatureCelsius,
    throttledFlags: thermal.throttledFlags,
    problems,
  };
}

/**
 * Memory available is MemAvailable (kubelet uses the root cgroup's working
 * set; MemAvailable is the kernel's own estimate of the same thing and needs
 * no cgroup walk). PIDs are counted as kubelet does: tasks (threads) in use
 * from /proc/loadavg against min(pid_max, threads-max).
 */
export async function collectPressure({ dataDir }: { dataDir: string }): Promise<PressureReadings> {
  const meminfo = readFileSync("/proc/meminfo", "utf8");
  const loadavg = readFileSync("/proc/loadavg", "utf8");
  const pidMaxText = readFileSync("/proc/sys/kernel/pid_max", "utf8");
  const unreadable: string[] = [];
  const threadsMaxText = readOptional("/proc/sys/kernel/threads-max", unreadable);
  if (unreadable.length > 0) throw new Error(unreadable.join("; "));
  const fs = statfsNearest(dataDir);
  const memoryAvailableBytes = meminfoBytes(meminfo, "MemAvailable");
  if (memoryAvailableBytes === undefined) throw new Error("/proc/meminfo has no MemAvailable (kernel older than 3.14?)");
  // "0.57 0.23 0.10 1/109 5526": the fourth field is runnable/total tasks.
  const tasks = /^\S+\s+\S+\s+\S+\s+\d+\/(\d+)/.exec(loadavg)?.[1];
  if (tasks === undefined) throw new Error(`/proc/loadavg: unexpected ${JSON.stringify(loadavg.trim())}`);
  const pidMax = Number(pidMaxText.trim());
  const threadsMax = threadsMaxText === undefined ? Infinity : Number(threadsMaxText);
  return {
    memoryAvailableBytes,
    diskAvailableBytes: fs.bavail * fs.bsize,
    diskCapacityBytes: fs.blocks * fs.bsize,
    pidsInUse: Number(tasks),
    pidMax: Math.min(pidMax, threadsMax),
  };
}
