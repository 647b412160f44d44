// Pod networking through the standard CNI plugins, executed the way the CNI
// spec and libcni do it: one loopback ADD, then the conflist's plugins in order
// with each result threaded as the next plugin's prevResult and runtimeConfig
// injected by capability; DEL in reverse order with the cached result. The
// final result of each sandbox is persisted under stateDir so DEL, ipOf and
// garbage collection still work after an agent restart.
//
// Ordering contract for callers: del() must run BEFORE the netns is deleted.
// The bridge plugin learns the pod's addresses from eth0 inside the netns; with
// the netns gone it frees the IP but cannot remove its nat chain. del() then
// removes that chain itself (bridge-masq.ts), but only the documented order is
// the plugins' own clean path.

import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CommandNotFound, runCommand, type CommandResult } from "../exec/command.ts";
import { planConflist, type CniConflist, type CniPluginConf } from "./cni-config.ts";
import { removeBridgeMasq } from "./bridge-masq.ts";
import { checkPlugins, ensureIpForward } from "./host-prep.ts";
import { ensurePodMasquerade } from "./pod-masquerade.ts";
import { DEFAULT_CLUSTER_CIDR } from "../../core/controllers/node-ipam-controller.ts";

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
  /** Bind the hostPort to this host address only; all addresses when absent. */
  hostIP?: string;
}

export interface CniNetworkOptions {
  networkName: string;
  /** Linux bridge name, at most 15 characters. */
  bridge: string;
  /** The node's pod CIDR, e.g. 10.42.3.0/24. */
  podCidr: string;
  pluginDir?: string;
  /** Owned by this network: `results/` (one file per sandbox) and `ipam/` (host-local leases). */
  stateDir: string;
  mtu?: number;
  /** The cluster's pod CIDR (all nodes): traffic to it keeps the pod's address. */
  clusterCidr?: string;
}

/** A plugin failed: non-zero exit, with the CNI error object `{code,msg,details}` it printed when it printed one. */
export class CniPluginError extends Error {
  constructor(
    readonly plugin: string,
    readonly command: CniCommand,
    readonly cniCode: number | undefined,
    readonly cniMsg: string,
    readonly stderr: string,
  ) {
    super(`CNI plugin ${plugin} ${command} failed${cniCode !== undefined ? ` (code ${cniCode})` : ""}: ${cniMsg}`);
    this.name = "CniPluginError";
  }
}

type CniCommand = "ADD" | "DEL";

const PLUGIN_TIMEOUT_MS = 60_000;
const HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const POD_IFNAME = "eth0";
const SANDBOX_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const LOOPBACK: CniConflist = { cniVersion: "1.0.0", name: "lo", plugins: [{ type: "loopback" }] };

// Shapes checked by hand rather than with zod: zod costs the agent ~15 MB RSS
// (its idle target is < 45 MB), and these are three small, flat shapes.

/** The result is passed on verbatim as prevResult, so unknown fields are kept. */
interface CniResult {
  cniVersion: string;
  ips?: { address: string; gateway?: string; interface?: number }[];
  [field: string]: unknown;
}

interface CacheEntry {
  sandboxId: string;
  netnsPath: string;
  portMappings: PortMapping[];
  /** The conflist the ADD ran with, so a DEL after a config change still undoes exactly what was done. */
  conflist: CniConflist;
  /** Absent while the ADD is in flight (or crashed mid-way): DEL then runs without prevResult. */
  result?: CniResult;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isPort = (n: unknown) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;

function asCniResult(v: unknown): CniResult | undefined {
  if (!isRecord(v) || typeof v.cniVersion !== "string") return undefined;
  if (v.ips !== undefined && !(Array.isArray(v.ips) && v.ips.every((ip) => isRecord(ip) && typeof ip.address === "string"))) return undefined;
  return v as CniResult;
}

function asCniError(v: unknown): { code: number; msg: string; details?: string } | undefined {
  if (!isRecord(v) || typeof v.code !== "number" || typeof v.msg !== "string") return undefined;
  return { code: v.code, msg: v.msg, ...(typeof v.details === "string" ? { details: v.details } : {}) };
}

function checkPortMappings(ports: PortMapping[]): PortMapping[] {
  for (const p of ports) {
    if (!isPort(p.hostPort) || !isPort(p.containerPort) || (p.protocol !== "tcp" && p.protocol !== "udp") || (p.hostIP !== undefined && typeof p.hostIP !== "string")) {
      throw new Error(`invalid port mapping ${JSON.stringify(p)}: ports 1-65535, protocol tcp or udp`);
    }
  }
  return ports;
}

function asCacheEntry(v: unknown): CacheEntry | undefined {
  if (!isRecord(v) || typeof v.sandboxId !== "string" || typeof v.netnsPath !== "string" || !Array.isArray(v.portMappings)) return undefined;
  const c = v.conflist;
  if (!isRecord(c) || typeof c.cniVersion !== "string" || typeof c.name !== "string" || !Array.isArray(c.plugins) || !c.plugins.every((p) => isRecord(p) && typeof p.type === "string")) return undefined;
  if (v.result !== undefined && !asCniResult(v.result)) return undefined;
  try {
    checkPortMappings(v.portMappings as PortMapping[]);
  } catch {
    return undefined;
  }
  return v as unknown as CacheEntry;
}

export class CniNetwork {
  readonly conflist: CniConflist;
  private readonly pluginDir: string;
  private readonly resultsDir: string;
  private readonly locks = new Map<string, Promise<void>>();
  private hostReady: Promise<void> | undefined;
  private readonly bridge: string;
  private readonly podCidr: string;
  private readonly clusterCidr: string;

  constructor(opts: CniNetworkOptions) {
    this.bridge = opts.bridge;
    this.podCidr = opts.podCidr;
    this.clusterCidr = opts.clusterCidr ?? DEFAULT_CLUSTER_CIDR;
    this.pluginDir = opts.pluginDir ?? "/usr/lib/cni";
    this.resultsDir = join(opts.stateDir, "results");
    this.conflist = planConflist({
      networkName: opts.networkName,
      bridge: opts.bridge,
      podCidr: opts.podCidr,
      ipamDataDir: join(opts.stateDir, "ipam"),
      ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}),
    });
  }

  /**
   * Wires eth0 in `netnsPath` to the bridge and maps the hostPorts. Idempotent:
   * when this sandbox already has a result and the netns still holds that IP,
   * returns it without running any plugin. A stale result (netns gone or
   * recreated) is torn down first. On failure the partial ADD is undone.
   */
  add(sandboxId: string, netnsPath: string, portMappings: PortMapping[]): Promise<{ ip: string }> {
    checkSandboxId(sandboxId);
    const ports = checkPortMappings(portMappings);
    return this.serialize(sandboxId, async () => {
      await this.prepareHost();
      const cached = await this.readEntry(sandboxId);
      if (cached) {
        const ip = cached.result && podIp(cached.result);
        if (ip && cached.netnsPath === netnsPath && (await netnsHasIp(netnsPath, ip))) {
          if (!samePorts(cached.portMappings, ports)) {
            throw new Error(`sandbox ${sandboxId} is already networked with other port mappings; del() it first`);
          }
          return { ip };
        }
        await this.delEntry(cached, cached.netnsPath);
      }

      const entry: CacheEntry = { sandboxId, netnsPath, portMappings: ports, conflist: this.conflist };
      await this.writeEntry(entry); // before any plugin runs, so a crash mid-ADD is still found by listCached()
      let prev: CniResult | undefined;
      try {
        await this.runPlugin("ADD", LOOPBACK, LOOPBACK.plugins[0]!, undefined, ports, sandboxId, netnsPath, "lo");
        for (const plugin of this.conflist.plugins) {
          if (skipPlugin(plugin, ports)) continue;
          prev = (await this.runPlugin("ADD", this.conflist, plugin, prev, ports, sandboxId, netnsPath, POD_IFNAME)) ?? prev;
        }
      } catch (addError) {
        try {
          await this.delEntry({ ...entry, ...(prev ? { result: prev } : {}) }, netnsPath);
        } catch (cleanupError) {
          throw new AggregateError([addError, cleanupError], `CNI ADD for ${sandboxId} failed and undoing it failed too: ${(addError as Error).message}; ${(cleanupError as Error).message}`);
        }
        throw addError;
      }
      const ip = prev && podIp(prev);
      if (!prev || !ip) {
        await this.delEntry({ ...entry, ...(prev ? { result: prev } : {}) }, netnsPath);
        throw new Error(`CNI ADD for ${sandboxId} returned no IPv4 address: ${JSON.stringify(prev)}`);
      }
      await this.writeEntry({ ...entry, result: prev });
      return { ip };
    });
  }

  /**
   * Undoes add(): the conflist's plugins in reverse order with the cached
   * result as prevResult. Call it before deleting the netns (see the file
   * header). Idempotent: an unknown sandbox is success. A missing netns is
   * tolerated. `netnsPath` defaults to the one add() was given.
   */
  del(sandboxId: string, netnsPath?: string): Promise<void> {
    checkSandboxId(sandboxId);
    return this.serialize(sandboxId, async () => {
      const cached = await this.readEntry(sandboxId);
      if (!cached) return;
      await this.delEntry(cached, netnsPath ?? cached.netnsPath);
    });
  }

  /** The pod IP add() returned, from the persisted result; undefined for an unknown sandbox. */
  async ipOf(sandboxId: string): Promise<string | undefined> {
    checkSandboxId(sandboxId);
    const entry = await this.readEntry(sandboxId);
    return entry?.result ? podIp(entry.result) : undefined;
  }

  /** Every sandbox with persisted network state, including ADDs that never finished: GC del()s the ones no pod owns. */
  async listCached(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.resultsDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    return names.filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -".json".length)).sort();
  }

  private async delEntry(entry: CacheEntry, netnsPath: string): Promise<void> {
    const errors: Error[] = [];
    // Loopback is skipped: its DEL only sets lo down in a netns that is about to go.
    for (const plugin of [...entry.conflist.plugins].reverse()) {
      if (skipPlugin(plugin, entry.portMappings)) continue;
      try {
        await this.runPlugin("DEL", entry.conflist, plugin, entry.result, entry.portMappings, entry.sandboxId, netnsPath, POD_IFNAME);
        // bridge DEL learns the pod's IPs from eth0 in the netns; with the netns gone, or recreated
        // without eth0, it frees the lease but leaves the masquerade chain: remove it from the cached IPs.
        if (plugin.type === "bridge" && plugin.ipMasq === true) {
          await removeBridgeMasq(entry.conflist.name, entry.sandboxId, entry.result ? resultIps(entry.result) : []);
        }
      } catch (e) {
        // Keep going: each plugin frees its own resources (IP lease, NAT rules) independently.
        errors.push(e as Error);
      }
    }
    if (errors.length > 0) {
      // The entry stays, so a retry (or GC) can finish the job.
      throw new AggregateError(errors, `CNI DEL for ${entry.sandboxId}: ${errors.map((e) => e.message).join("; ")}`);
    }
    await rm(this.entryPath(entry.sandboxId), { force: true });
  }

  private async runPlugin(
    command: CniCommand,
    conflist: CniConflist,
    plugin: CniPluginConf,
    prevResult: CniResult | undefined,
    ports: PortMapping[],
    sandboxId: string,
    netnsPath: string,
    ifname: string,
  ): Promise<CniResult | undefined> {
    const conf: Record<string, unknown> = { ...plugin, cniVersion: conflist.cniVersion, name: conflist.name };
    if (prevResult) conf.prevResult = prevResult;
    if (plugin.capabilities?.portMappings) conf.runtimeConfig = { portMappings: ports };
    let r: CommandResult;
    try {
      r = await runCommand([join(this.pluginDir, plugin.type)], {
        input: JSON.stringify(conf),
        // Exactly the CNI variables: nothing of the agent's environment leaks into a plugin.
        env: {
          CNI_COMMAND: command,
          CNI_CONTAINERID: sandboxId,
          CNI_NETNS: netnsPath,
          CNI_IFNAME: ifname,
          CNI_PATH: this.pluginDir,
          // Plugins exec iptables, ip6tables and modprobe by name.
          PATH: HOST_PATH,
        },
        timeoutMs: PLUGIN_TIMEOUT_MS,
      });
    } catch (e) {
      throw new CniPluginError(plugin.type, command, undefined, e instanceof Error ? e.message : String(e), "");
    }
    if (r.exitCode !== 0) {
      let cniCode: number | undefined;
      let msg = r.stderr.trim() || r.stdout.trim() || (r.timedOut ? `timed out after ${PLUGIN_TIMEOUT_MS} ms` : `exit code ${r.exitCode}`);
      const parsed = asCniError(parseJson(r.stdout));
      if (parsed) {
        cniCode = parsed.code;
        msg = parsed.details ? `${parsed.msg}: ${parsed.details}` : parsed.msg;
      }
      throw new CniPluginError(plugin.type, command, cniCode, msg, r.stderr);
    }
    if (command === "DEL" || r.stdout.trim() === "") return undefined;
    const result = asCniResult(parseJson(r.stdout));
    if (!result) throw new CniPluginError(plugin.type, command, undefined, `unparsable result: ${r.stdout.slice(0, 500)}`, r.stderr);
    return result;
  }

  private prepareHost(): Promise<void> {
    this.hostReady ??= (async () => {
      await checkPlugins(this.pluginDir, ["loopback", "host-local", ...this.conflist.plugins.map((p) => p.type)]);
      await ensureIpForward();
      await ensurePodMasquerade(this.bridge, this.podCidr, this.clusterCidr);
      await mkdir(this.resultsDir, { recursive: true });
    })().catch((e: unknown) => {
      this.hostReady = undefined; // let the next call check again (e.g. after the package was installed)
      throw e;
    });
    return this.hostReady;
  }

  private entryPath(sandboxId: string): string {
    return join(this.resultsDir, `${sandboxId}.json`);
  }

  private async readEntry(sandboxId: string): Promise<CacheEntry | undefined> {
    const path = this.entryPath(sandboxId);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    const parsed = asCacheEntry(parseJson(text));
    if (!parsed) throw new Error(`corrupt CNI state ${path}: not a cached CNI result`);
    return parsed;
  }

  private async writeEntry(entry: CacheEntry): Promise<void> {
    await mkdir(this.resultsDir, { recursive: true });
    const path = this.entryPath(entry.sandboxId);
    const tmp = `${path}.tmp`;
    await writeFile(tmp, JSON.stringify(entry));
    await rename(tmp, path); // atomic: a crash leaves the old entry or the new one, never half of one
  }

  /** One add/del at a time per sandbox; different sandboxes run concurrently. */
  private serialize<T>(sandboxId: string, f: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(sandboxId) ?? Promise.resolve()).then(f);
    const tail = run.then(
      () => undefined,
      () => undefined, // the caller gets the error from `run`; the queue only waits for it
    );
    this.locks.set(sandboxId, tail);
    void tail.then(() => {
      if (this.locks.get(sandboxId) === tail) this.locks.delete(sandboxId);
    });
    return run;
  }
}

function checkSandboxId(id: string): void {
  if (!SANDBOX_ID.test(id)) throw new Error(`sandbox id ${JSON.stringify(id)} must match ${SANDBOX_ID}`);
}

/** portmap with nothing to map is a no-op on ADD and DEL (it returns early), so it is not run: ~40 ms per pod. */
function skipPlugin(plugin: CniPluginConf, ports: readonly PortMapping[]): boolean {
  return plugin.type === "portmap" && ports.length === 0;
}

function resultIps(result: CniResult): string[] {
  return (result.ips ?? []).map((i) => i.address.split("/")[0] ?? "").filter((a) => a.includes("."));
}

function podIp(result: CniResult): string | undefined {
  return resultIps(result)[0];
}

function samePorts(a: readonly PortMapping[], b: readonly PortMapping[]): boolean {
  const key = (p: PortMapping) => `${p.protocol}/${p.hostIP ?? ""}:${p.hostPort}->${p.containerPort}`;
  const ka = a.map(key).sort();
  const kb = b.map(key).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // callers treat undefined as "not the expected shape" and report the raw text
  }
}

async function netnsHasIp(netnsPath: string, ip: string): Promise<boolean> {
  if (!existsSync(netnsPath)) return false;
  let r: CommandResult;
  try {
    r = await runCommand(["nsenter", `--net=${netnsPath}`, "ip", "-o", "-4", "addr", "show", "dev", POD_IFNAME], { env: { ...process.env, PATH: HOST_PATH } });
  } catch (e) {
    // Without nsenter the address cannot be confirmed: treat the entry as stale, so ADD runs again.
    if (e instanceof CommandNotFound) return false;
    throw e;
  }
  // A netns without eth0 (or an unmounted path) is the "stale" case, not an error.
  return r.exitCode === 0 && r.stdout.includes(` inet ${ip}/`);
}
