// The ipvsadm text formats: parsing `ipvsadm -Sn` (the kernel's table, as
// save rules) and writing an `ipvsadm-restore` batch from ops. Format as
// measured on Debian's 6.1 kernel with ipvsadm 1.31 (../shared/ipvs-vm):
//   -A -t 10.96.0.11:443 -s rr -p 10800
//   -a -t 10.96.0.11:443 -r 10.0.0.5:8443 -m -w 1
// Services come out in kernel hash order, so the parser sorts.

import { sortVirtualServers, type L4Protocol, type RealServer, type VirtualServer } from "./virtual-server.ts";

export type ServiceId = Pick<VirtualServer, "protocol" | "address" | "port">;
export type ServiceHeader = Omit<VirtualServer, "realServers">;

/** One line of an ipvsadm-restore batch. Real servers are always NAT (-m). */
export type IpvsOp =
  | { op: "add-service"; service: ServiceHeader }
  | { op: "edit-service"; service: ServiceHeader }
  | { op: "delete-service"; service: ServiceId }
  | { op: "add-real"; service: ServiceId; real: RealServer }
  | { op: "edit-real"; service: ServiceId; real: RealServer }
  | { op: "delete-real"; service: ServiceId; real: Pick<RealServer, "address" | "port"> };

export function writeIpvsadmRestore(ops: IpvsOp[]): string {
  return ops.map((o) => `${writeOp(o)}\n`).join("");
}

function writeOp(o: IpvsOp): string {
  const id = `${o.service.protocol === "tcp" ? "-t" : "-u"} ${hostPort(o.service.address, o.service.port)}`;
  switch (o.op) {
    case "add-service":
    case "edit-service": {
      // -E resets whatever is not on the line, so both carry the full header.
      const p = o.service.persistent !== undefined ? ` -p ${o.service.persistent}` : "";
      return `${o.op === "add-service" ? "-A" : "-E"} ${id} -s ${o.service.scheduler}${p}`;
    }
    case "delete-service":
      return `-D ${id}`;
    case "add-real":
    case "edit-real":
      return `${o.op === "add-real" ? "-a" : "-e"} ${id} -r ${hostPort(o.real.address, o.real.port)} -m -w ${o.real.weight}`;
    case "delete-real":
      return `-d ${id} -r ${hostPort(o.real.address, o.real.port)}`;
  }
}

function hostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Parses `ipvsadm -Sn` output. Firewall-mark services (-f) are skipped: the
 * proxier never makes them, so they belong to someone else. Anything else it
 * does not understand throws, naming the line, rather than being dropped.
 */
export function parseIpvsadmSave(text: string): VirtualServer[] {
  const services = new Map<string, VirtualServer>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    const fail = (why: string) => new Error(`ipvsadm -Sn line ${i + 1}: ${why}: ${line}`);
    const tokens = line.split(/\s+/);
    const cmd = tokens[0];
    const opts = new Map<string, string | undefined>();
    for (let t = 1; t < tokens.length; t++) {
      const flag = tokens[t]!;
      if (!flag.startsWith("-")) throw fail(`unexpected ${flag}`);
      const next = tokens[t + 1];
      if (next !== undefined && !next.startsWith("-")) {
        opts.set(flag, next);
        t++;
      } else opts.set(flag, undefined);
    }
    if (opts.has("-f")) return;
    const protocol: L4Protocol | undefined = opts.has("-t") ? "tcp" : opts.has("-u") ? "udp" : undefined;
    const idText = opts.get(protocol === "tcp" ? "-t" : "-u");
    if (!protocol || !idText) throw fail("no -t/-u ADDRESS:PORT");
    const id = { protocol, ...splitHostPort(idText, fail) };
    const key = `${protocol}:${id.address}:${id.port}`;
    if (cmd === "-A") {
      const scheduler = opts.get("-s");
      if (!scheduler) throw fail("no scheduler");
      const p = opts.get("-p");
      services.set(key, { ...id, scheduler, ...(p !== undefined ? { persistent: toInt(p, fail) } : {}), realServers: [] });
    } else if (cmd === "-a") {
      const vs = services.get(key);
      const real = opts.get("-r");
      if (!vs) throw fail("real server before its service");
      if (!real) throw fail("no -r ADDRESS:PORT");
      vs.realServers.push({ ...splitHostPort(real, fail), weight: toInt(opts.get("-w") ?? "1", fail) });
    } else throw fail(`unknown command ${cmd}`);
  });
  return sortVirtualServers([...services.values()]);
}

function splitHostPort(text: string, fail: (why: string) => Error): { address: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw fail(`bad ADDRESS:PORT ${text}`);
  return { address: m[1]!, port: toInt(m[2]!, fail) };
}

function toInt(text: string, fail: (why: string) => Error): number {
  if (!/^\d+$/.test(text)) throw fail(`not a number: ${text}`);
  return Number(text);
}
