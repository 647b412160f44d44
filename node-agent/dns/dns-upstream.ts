// Forwarding for names outside the cluster domain: the client's raw query
// bytes go to each upstream resolver in turn (UDP or TCP, as the client
// came), and the first answer is relayed raw, so the client's ID, flags and
// EDNS options pass through untouched.

import dgram from "node:dgram";
import net from "node:net";
import { readFileSync } from "node:fs";
import { parseResolvConf } from "./pod-resolv-conf.ts";

export interface Upstream {
  host: string;
  port: number;
}

/** Per upstream, before trying the next one. */
export const UPSTREAM_TIMEOUT_MS = 2000;

/** "1.1.1.1", "1.1.1.1:5353", "::1" or "[::1]:5353". */
export function parseUpstream(s: string): Upstream {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) return { host: bracketed[1] ?? "", port: Number(bracketed[2] ?? 53) };
  const v4 = /^([^:]+):(\d+)$/.exec(s);
  if (v4) return { host: v4[1] ?? "", port: Number(v4[2]) };
  return { host: s, port: 53 };
}

/** The host's nameservers; none when the file is missing or unreadable (then every forward is SERVFAIL). */
export function hostUpstreams(resolvConfPath: string): string[] {
  try {
    return parseResolvConf(readFileSync(resolvConfPath, "utf8")).nameservers;
  } catch {
    return [];
  }
}

/** One query to one upstream over UDP: its answer, or undefined on error, timeout or abort. */
function askUdp(up: Upstream, query: Buffer, timeoutMs: number, signal: AbortSignal): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(up.host.includes(":") ? "udp6" : "udp4");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (answer: Buffer | undefined) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      try {
        sock.close();
      } catch {
        // Already closed: nothing left to release.
      }
      resolve(answer);
    };
    const onAbort = () => done(undefined);
    signal.addEventListener("abort", onAbort);
    // A connected socket hears ICMP port-unreachable as ECONNREFUSED, so a dead upstream fails fast.
    sock.on("error", () => done(undefined));
    sock.on("message", (msg) => {
      // Only the answer to this query: same ID, QR set.
      if (msg.length >= 12 && msg.readUInt16BE(0) === query.readUInt16BE(0) && (msg[2] ?? 0) & 0x80) done(msg);
    });
    timer = setTimeout(() => done(undefined), timeoutMs);
    sock.connect(up.port, up.host, () => sock.send(query, (err) => err && done(undefined)));
  });
}

/** The same over TCP with the 2-byte length framing. */
function askTcp(up: Upstream, query: Buffer, timeoutMs: number, signal: AbortSignal): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: up.host, port: up.port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const done = (answer: Buffer | undefined) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      sock.destroy();
      resolve(answer);
    };
    const onAbort = () => done(undefined);
    signal.addEventListener("abort", onAbort);
    sock.on("error", () => done(undefined));
    sock.on("close", () => done(undefined));
    sock.on("connect", () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2) return;
      const len = buf.readUInt16BE(0);
      if (buf.length >= 2 + len) done(buf.subarray(2, 2 + len));
    });
  });
}

export interface ForwardOptions {
  transport: "udp" | "tcp";
  timeoutMs: number;
  signal: AbortSignal;
}

/** Tries each upstream in order; the first answer, or undefined when all failed (the caller answers SERVFAIL). */
export async function forwardQuery(upstreams: readonly Upstream[], query: Buffer, opts: ForwardOptions): Promise<Buffer | undefined> {
  for (const up of upstreams) {
    if (opts.signal.aborted) return undefined;
    const ask = opts.transport === "udp" ? askUdp : askTcp;
    const answer = await ask(up, query, opts.timeoutMs, opts.signal);
    if (answer !== undefined) return answer;
  }
  return undefined;
}
