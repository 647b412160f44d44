// AgentLink over the mesh: one WebSocket to the server's /mesh/v1 (the next
// server URL when one fails), authenticated with the node's token. Keeps an
// in-memory picture of the node's desired state from the snapshot and the
// deltas, hands it to the agent, and acks what it handed over; after a drop
// it reconnects with exponential back-off and jitter and resumes from its
// last ack. Node status, pod status, usage metrics and log chunks go up the same socket.

import { TugError } from "../../core/errors.ts";
import { encodeMessage, MESH_PATH, parseServerMessage, type AgentEvent, type AgentMessage, type LogsRequest, type MetricsReport, type NodeRoute, type ServerMessage } from "../../core/mesh/messages.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import type { AgentLink, LinkHandlers, PodStatusReport, ServiceAccountToken } from "./agent-link.ts";

export interface MeshLinkOptions {
  /** Server URLs (https://host:6443); the next one is tried when one fails. */
  servers: string[];
  nodeName: string;
  token: string;
  /** The cluster CA (PEM) that signs the servers' certificates. */
  caPem?: string;
  log: (line: string) => void;
  /** Back-off between reconnects: from minBackoffMs doubling to maxBackoffMs, with jitter (defaults 0.5 s, 10 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often the server is pinged (default 5 s) and how long it may stay silent (default 10 s). */
  pingIntervalMs?: number;
  deadAfterMs?: number;
  /** How long opening the socket may take (default 10 s). */
  connectTimeoutMs?: number;
  /** How long a node or pod status write waits for the link and the answer (default 10 s). */
  requestTimeoutMs?: number;
}

export type LogsHandler = (req: LogsRequest, write: (chunk: string) => void, signal: AbortSignal) => Promise<void>;

interface Picture {
  rv: number;
  pods: Map<string, KubeObject>;
  configMaps: Map<string, KubeObject>;
  secrets: Map<string, KubeObject>;
  services: Map<string, KubeObject>;
  endpoints: Map<string, KubeObject>;
  nodes: Map<string, NodeRoute>;
}

type Collection = "pods" | "configMaps" | "secrets" | "services" | "endpoints";
const COLLECTION_OF: Record<string, Collection> = { Pod: "pods", ConfigMap: "configMaps", Secret: "secrets", Service: "services", Endpoints: "endpoints" };

interface PendingRequest {
  resolve(m: ServerMessage): void;
  reject(e: Error): void;
}

export class MeshLink implements AgentLink {
  private handlers: LinkHandlers | undefined;
  private logsHandler: LogsHandler | undefined;
  private ws: WebSocket | undefined;
  /** The server URL (https://…) of the socket in `ws`. */
  private current: string | undefined;
  /** Set once this socket got a snapshot or a resume: frames may flow both ways. */
  private synced = false;
  private up = false;
  private picture: Picture | undefined;
  private sessionId: string | undefined;
  private emitTimer: ReturnType<typeof setTimeout> | undefined;
  /** The ConfigMaps and Secrets last handed over; the same Map objects again when none changed since. */
  private sources: { configMaps: Map<string, KubeObject>; secrets: Map<string, KubeObject> } | undefined;
  private readonly requests = new Map<number, PendingRequest>();
  private nextRequest = 0;
  private readonly logs = new Map<string, AbortController>();
  private waiters: (() => void)[] = [];
  private closed = false;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: MeshLinkOptions) {
    if (opts.servers.length === 0) throw new TugError("BadRequest", "the mesh link needs at least one server URL");
  }

  start(handlers: LinkHandlers): void {
    this.handlers = handlers;
    this.running ??= this.run();
  }

  /** Serves the server's log requests (kubectl logs); without a handler they are refused. */
  onLogsRequest(handler: LogsHandler): void {
    this.logsHandler = handler;
  }

  async upsertNode(node: { labels: Record<string, string>; annotations: Record<string, string>; status: Record<string, unknown> }): Promise<KubeObject> {
    const reply = await this.request((id) => ({ type: "node-status", id, labels: node.labels, annotations: node.annotations, status: node.status }));
    if (reply.type !== "node") throw new Error(`register node: the server answered ${reply.type}`);
    return reply.node;
  }

  async reportPodStatuses(batch: PodStatusReport[]): Promise<void> {
    if (batch.length === 0) return;
    await this.request((id) => ({ type: "pod-statuses", id, items: batch }));
  }

  async confirmPodDeletion(pod: { namespace: string; name: string; uid: string }): Promise<void> {
    await this.request((id) => ({ type: "pod-deleted", id, ...pod }));
  }

  async requestServiceAccountToken(namespace: string, pod: string): Promise<ServiceAccountToken> {
    const reply = await this.request((id) => ({ type: "sa-token-request", id, namespace, pod }));
    if (reply.type !== "sa-token") throw new Error(`service account token: the server answered ${reply.type}`);
    return { token: reply.token, expirationTimestamp: reply.expirationTimestamp, caPem: reply.caPem };
  }

  reportMetrics(report: MetricsReport): void {
    if (this.synced) this.sendFrame(report);
  }

  reportEvents(items: AgentEvent[]): boolean {
    if (!this.synced || this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(encodeMessage({ type: "events", items }));
    return true;
  }

  apiServerUrl(): string | undefined {
    return (this.synced ? this.current : undefined) ?? this.opts.servers[0];
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.emitTimer);
    this.wake?.();
    this.ws?.close(1000, "agent stopping");
    await this.running;
  }

  /** The URL of the server currently connected, if any. */
  get server(): string | undefined {
    return this.synced ? this.ws?.url : undefined;
  }

  private async run(): Promise<void> {
    const min = this.opts.minBackoffMs ?? 500;
    const max = this.opts.maxBackoffMs ?? 10_000;
    let backoff = min;
    let index = 0;
    let failing = false;
    while (!this.closed) {
      const server = this.opts.servers[index % this.opts.servers.length]!;
      const { synced, error } = await this.connectOnce(server);
      if (this.closed) break;
      if (synced) {
        backoff = min;
        failing = false;
      }
      // One line per outage, not one per attempt.
      if (!failing) this.opts.log(`mesh: ${synced ? "lost" : "cannot reach"} ${server}: ${error}; ${this.opts.servers.length > 1 ? "trying the next server" : "retrying"}`);
      failing = true;
      index++;
      await this.sleep(backoff / 2 + Math.random() * backoff);
      backoff = Math.min(backoff * 2, max);
    }
  }

  /** One connection, from dial to close; resolves with whether it ever synced and why it ended. */
  private connectOnce(server: string): Promise<{ synced: boolean; error: string }> {
    return new Promise((resolve) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(meshUrl(server), {
          headers: { authorization: `Bearer ${this.opts.token}` },
          ...(this.opts.caPem ? { tls: { ca: this.opts.caPem } } : {}),
        });
      } catch (e) {
        resolve({ synced: false, error: e instanceof Error ? e.message : String(e) });
        return;
      }
      this.ws = ws;
      this.current = server;
      this.synced = false;
      let everSynced = false;
      let error = "closed";
      let lastSeen = Date.now();
      let lastPing = Date.now();
      const pingMs = this.opts.pingIntervalMs ?? 5000;
      const deadMs = this.opts.deadAfterMs ?? 10_000;
      const connectDeadline = Date.now() + (this.opts.connectTimeoutMs ?? 10_000);
      const timer = setInterval(
        () => {
          const now = Date.now();
          if (ws.readyState === WebSocket.CONNECTING && now > connectDeadline) {
            error = "connect timed out";
            ws.terminate();
          } else if (ws.readyState === WebSocket.OPEN) {
            if (now - lastSeen > deadMs) {
              error = `silent for ${now - lastSeen} ms`;
              ws.terminate();
            } else if (now - lastPing >= pingMs) {
              lastPing = now;
              ws.ping();
            }
          }
        },
        Math.max(20, Math.min(pingMs, deadMs) / 4),
      );
      const seen = () => void (lastSeen = Date.now());
      ws.addEventListener("open", () => {
        seen();
        const resume = this.picture && this.sessionId ? { lastAck: this.picture.rv, sessionId: this.sessionId } : {};
        this.sendFrame({ type: "hello", node: this.opts.nodeName, ...resume });
      });
      ws.addEventListener("ping", seen);
      ws.addEventListener("pong", seen);
      ws.addEventListener("message", (ev) => {
        seen();
        if (typeof ev.data !== "string") return;
        let m: ServerMessage;
        try {
          m = parseServerMessage(ev.data);
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
          ws.close(1008, "bad frame");
          return;
        }
        this.received(m);
        if (this.synced) everSynced = true;
      });
      ws.addEventListener("error", (ev) => {
        error = (ev as ErrorEvent).message || "connection error";
      });
      ws.addEventListener("close", (ev) => {
        clearInterval(timer);
        if (ev.code !== 1006 && ev.code !== 1005) error = `closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ""})`;
        if (this.ws === ws) this.ws = undefined;
        this.synced = false;
        for (const [id, r] of this.requests) {
          this.requests.delete(id);
          r.reject(new Error("the mesh link went down"));
        }
        for (const ac of this.logs.values()) ac.abort();
        this.logs.clear();
        this.setUp(false);
        resolve({ synced: everSynced, error });
      });
    });
  }

  private received(m: ServerMessage): void {
    switch (m.type) {
      case "snapshot": {
        this.sessionId = m.sessionId;
        const byKey = (items: KubeObject[]) => new Map(items.map((o) => [nsName(o), o]));
        this.picture = {
          rv: m.rv,
          pods: byKey(m.pods),
          configMaps: byKey(m.configMaps),
          secrets: byKey(m.secrets),
          services: byKey(m.services),
          endpoints: byKey(m.endpoints),
          nodes: new Map(m.nodes.map((n) => [n.name, n])),
        };
        this.sources = undefined;
        this.markSynced();
        this.scheduleEmit();
        return;
      }
      case "resume":
        if (!this.picture || m.sessionId !== this.sessionId || m.rv !== this.picture.rv) {
          // Not the picture we hold: ask again without an ack, which gets a snapshot.
          this.picture = undefined;
          this.ws?.close(4001, "resume mismatch");
          return;
        }
        this.markSynced();
        return;
      case "delta": {
        const p = this.picture;
        if (!p || !this.synced) return;
        for (const o of m.upserts) {
          const c = COLLECTION_OF[o.kind];
          if (c) p[c].set(nsName(o), o);
          if (c === "configMaps" || c === "secrets") this.sources = undefined;
        }
        for (const r of m.routes ?? []) p.nodes.set(r.name, r);
        for (const d of m.deletes) {
          if (d.kind === "Node") p.nodes.delete(d.name);
          const c = COLLECTION_OF[d.kind];
          if (c) p[c].delete(`${d.namespace}/${d.name}`);
          if (c === "configMaps" || c === "secrets") this.sources = undefined;
        }
        p.rv = Math.max(p.rv, m.rv);
        this.scheduleEmit();
        return;
      }
      case "logs-request":
        return this.serveLogs(m);
      case "logs-cancel":
        this.logs.get(m.id)?.abort();
        return;
      case "node":
      case "sa-token":
      case "done": {
        const r = this.requests.get(m.id);
        if (!r) return;
        this.requests.delete(m.id);
        r.resolve(m);
        return;
      }
    }
  }

  private markSynced(): void {
    this.synced = true;
    this.setUp(true);
    for (const w of this.waiters.splice(0)) w();
  }

  private scheduleEmit(): void {
    if (this.emitTimer) return;
    // Coalesce bursts (a Deployment's pods arrive together) into one picture, then ack it.
    this.emitTimer = setTimeout(() => {
      this.emitTimer = undefined;
      const p = this.picture;
      if (!p || this.closed) return;
      this.sources ??= { configMaps: new Map(p.configMaps), secrets: new Map(p.secrets) };
      this.handlers?.desired({
        pods: [...p.pods.values()],
        ...this.sources,
        services: [...p.services.values()],
        endpoints: [...p.endpoints.values()],
        nodes: [...p.nodes.values()],
      });
      if (this.synced) this.sendFrame({ type: "ack", rv: p.rv });
    }, 20);
  }

  private serveLogs(req: LogsRequest): void {
    const ac = new AbortController();
    this.logs.set(req.id, ac);
    const write = (data: string) => {
      if (!ac.signal.aborted) this.sendFrame({ type: "logs-chunk", id: req.id, data });
    };
    const handler = this.logsHandler ?? (async () => Promise.reject(new TugError("ServiceUnavailable", `node ${this.opts.nodeName} serves no logs over the mesh`)));
    handler(req, write, ac.signal)
      .then(
        () => this.sendFrame({ type: "logs-end", id: req.id }),
        (e: unknown) => this.sendFrame({ type: "logs-end", id: req.id, error: e instanceof Error ? e.message : String(e), ...(e instanceof TugError ? { code: e.code } : {}) }),
      )
      .finally(() => this.logs.delete(req.id));
  }

  /** Sends a request and waits for its answer; waits for the link first (up to requestTimeoutMs) and rejects on a drop. */
  private async request(build: (id: number) => AgentMessage): Promise<ServerMessage> {
    const timeoutMs = this.opts.requestTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    if (!this.synced) await this.waitUp(timeoutMs);
    const id = ++this.nextRequest;
    const reply = await new Promise<ServerMessage>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.requests.delete(id);
          reject(new Error("the server did not answer in time"));
        },
        Math.max(0, deadline - Date.now()),
      );
      this.requests.set(id, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.sendFrame(build(id));
    });
    if (reply.type === "done" && reply.error !== undefined) throw new Error(reply.error);
    return reply;
  }

  private waitUp(timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the mesh link is closed"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new Error("not connected to a server"));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
    });
  }

  private sendFrame(m: AgentMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(encodeMessage(m));
  }

  private setUp(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    if (up) this.opts.log(`mesh: connected to ${this.ws?.url ?? "the server"}`);
    this.handlers?.connection(up);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}

/** https://host:6443 -> wss://host:6443/mesh/v1 (http -> ws). */
export function meshUrl(server: string): string {
  const u = new URL(server);
  u.protocol = u.protocol === "https:" ? "wss:" : u.protocol === "http:" ? "ws:" : u.protocol;
  u.pathname = u.pathname.replace(/\/+$/, "") + MESH_PATH;
  return u.toString();
}

function nsName(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
}
