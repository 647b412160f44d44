// The node's DNS responder: UDP (node:dgram) and TCP (node:net, 2-byte
// length framing) on one address and port, answering the cluster domain
// from the current record index and forwarding everything else. A bad
// packet is dropped (UDP) or ends its connection (TCP); nothing a client
// sends can throw out of a socket handler.

import dgram from "node:dgram";
import net from "node:net";
import type { Endpoints, Service } from "../../core/resources/service.ts";
import { DEFAULT_CLUSTER_DOMAIN, dnsRecords, type DnsAnswerFn } from "./dns-records.ts";
import { respond, type Transport } from "./dns-respond.ts";
import { forwardQuery, hostUpstreams, parseUpstream, UPSTREAM_TIMEOUT_MS, type Upstream } from "./dns-upstream.ts";

export interface DnsServerOptions {
  log: (line: string) => void;
  clusterDomain?: string;
  /** "IP" or "IP:PORT" resolvers for other names; the host's resolv.conf nameservers when absent. */
  upstreams?: string[];
  /** Read at start() when `upstreams` is absent. */
  resolvConfPath?: string;
  /** Per upstream before the next one is tried. */
  upstreamTimeoutMs?: number;
}

export interface ListenAddress {
  address: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  port: number;
}

/** An idle TCP client is dropped after this long (RFC 7766 suggests seconds). */
const TCP_IDLE_MS = 10_000;
/** Tries at a port for both UDP and TCP when the caller asked for port 0. */
const FREE_PORT_TRIES = 5;

const WHY: Record<string, string> = {
  EADDRNOTAVAIL: "address not available on this host",
  EADDRINUSE: "port in use",
  EACCES: "permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)",
};

function errCode(e: unknown): string {
  return (e as { code?: unknown }).code?.toString() ?? (e instanceof Error ? e.message : String(e));
}

function bindUdp(address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: address.includes(":") ? "udp6" : "udp4" });
    sock.once("error", reject);
    sock.bind(port, address, () => {
      sock.off("error", reject);
      resolve(sock);
    });
  });
}

function listenTcp(server: net.Server, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

export class DnsServer {
  private readonly clusterDomain: string;
  private answer: DnsAnswerFn;
  private serial = 1;
  private upstreams: Upstream[] = [];
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly clients = new Set<net.Socket>();
  private stopping = new AbortController();
  private bound: ListenAddress | undefined;

  constructor(private readonly opts: DnsServerOptions) {
    this.clusterDomain = opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    this.answer = dnsRecords({ services: [], endpoints: [], clusterDomain: this.clusterDomain });
  }

  /** Swaps in the records of these Services and Endpoints; queries in flight finish on the old ones. */
  update(services: readonly Service[], endpoints: readonly Endpoints[]): void {
    this.serial += 1;
    this.answer = dnsRecords({ services, endpoints, clusterDomain: this.clusterDomain, serial: this.serial });
  }

  /** Where it listens, once started (the real port when 0 was asked). */
  address(): ListenAddress | undefined {
    return this.bound;
  }

  /**
   * Listens on UDP and TCP. Rejects with a one-line message (also logged once)
   * when either cannot be had, leaving nothing open.
   */
  async start(listen: ListenAddress): Promise<void> {
    if (this.udp) throw new Error("dns: already started");
    const resolvConf = this.opts.resolvConfPath ?? "/etc/resolv.conf";
    const configured = this.opts.upstreams ?? hostUpstreams(resolvConf);
    if (configured.length === 0 && this.opts.upstreams === undefined) this.opts.log(`dns: no nameserver in ${resolvConf}: names outside ${this.clusterDomain} will get SERVFAIL`);
    let lastError: unknown;
    for (let attempt = 0; attempt < (listen.port === 0 ? FREE_PORT_TRIES : 1); attempt++) {
      let udp: dgram.Socket | undefined;
      const tcp = net.createServer((sock) => this.serveTcp(sock));
      try {
        udp = await bindUdp(listen.address, listen.port);
        const port = udp.address().port;
        await listenTcp(tcp, listen.address, port);
        this.udp = udp;
        this.tcp = tcp;
        this.bound = { address: listen.address, port };
        this.stopping = new AbortController();
        // Never ask ourselves: that would loop until the timeout.
        this.upstreams = configured.map(parseUpstream).filter((u) => !(u.host === listen.address && u.port === port));
        udp.on("message", (msg, rinfo) => void this.serveUdp(msg, rinfo));
        udp.on("error", (e) => this.opts.log(`dns: udp ${listen.address}:${port}: ${errCode(e)}`));
        tcp.on("error", (e) => this.opts.log(`dns: tcp ${listen.address}:${port}: ${errCode(e)}`));
        return;
      } catch (e) {
        lastError = e;
        udp?.close();
        tcp.close();
        if (errCode(e) !== "EADDRINUSE") break;
      }
    }
    const code = errCode(lastError);
    const line = `dns: cannot listen on ${listen.address}:${listen.port} (udp+tcp): ${code}${WHY[code] ? ` (${WHY[code]})` : ""}`;
    this.opts.log(line);
    throw new Error(line);
  }

  /** Closes both listeners and every client connection, and abandons queries waiting on upstreams. Safe to repeat. */
  async stop(): Promise<void> {
    this.stopping.abort();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    this.bound = undefined;
    for (const c of this.clients) c.destroy();
    this.clients.clear();
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }

  private reply(raw: Buffer, transport: Transport): Promise<Buffer | undefined> {
    const signal = this.stopping.signal;
    return respond(raw, {
      answer: this.answer,
      transport,
      forward: (query, via) => forwardQuery(this.upstreams, query, { transport: via, timeoutMs: this.opts.upstreamTimeoutMs ?? UPSTREAM_TIMEOUT_MS, signal }),
    });
  }

  private async serveUdp(msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    const udp = this.udp;
    try {
      const answer = await this.reply(msg, "udp");
      // Not a DNS query: drop it silently, as any resolver does.
      if (!answer || !udp || this.udp !== udp) return;
      udp.send(answer, rinfo.port, rinfo.address);
    } catch (e) {
      this.opts.log(`dns: udp query from ${rinfo.address}:${rinfo.port}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private serveTcp(sock: net.Socket): void {
    this.clients.add(sock);
    let pending = Buffer.alloc(0);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on("error", () => sock.destroy());
    sock.on("close", () => this.clients.delete(sock));
    sock.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Several queries may arrive in one chunk (pipelining); answers go back as they are ready.
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) return;
        const msg = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        void this.serveTcpQuery(sock, msg);
      }
    });
  }

  private async serveTcpQuery(sock: net.Socket, msg: Buffer): Promise<void> {
    try {
      const answer = await this.reply(msg, "tcp");
      if (!answer) {
        sock.destroy();
        return;
      }
      if (sock.destroyed) return;
      const len = Buffer.alloc(2);
      len.writeUInt16BE(answer.length);
      sock.write(Buffer.concat([len, answer]));
    } catch (e) {
      this.opts.log(`dns: tcp query from ${sock.remoteAddress}: ${e instanceof Error ? e.message : String(e)}`);
      sock.destroy();
    }
  }
}
