// The mesh hub: the server end of every agent's WebSocket at /mesh/v1.
// Authenticates the upgrade with the node's credential, answers hello with a
// snapshot or a resume from the agent's last ack, streams the node's deltas
// (NodeViews), writes what the agent reports (only its own Node and pods),
// relays log requests, issues ServiceAccount tokens for the node's own pods
// (the projected token volume), keeps each node's latest usage sample for
// the metrics API (in memory), and pings to find dead links.
//
// Back-pressure: when a socket has more than maxBufferedBytes queued, its
// deltas stop (they stay in the node's history) and the session is marked
// stale; once the socket drains, one fresh snapshot replaces them all. So a
// slow agent costs at most the limit plus one frame of server memory.

import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { systemClock } from "../../core/clock.ts";
import { TugError } from "../../core/errors.ts";
import { RegistryEventRecorder } from "../../core/events/recorder.ts";
import type { Informer } from "../../core/informer/informer.ts";
import { encodeMessage, MESH_PATH, parseAgentMessage, type AgentMessage, type LogsRequest, type ServerMessage } from "../../core/mesh/messages.ts";
import type { Registry } from "../../core/registry/registry.ts";
import type { IssuedToken, IssueRequest } from "../auth/service-account-tokens.ts";
import { statusOf } from "../status.ts";
import { LogRelay } from "./log-relay.ts";
import { NodeMetrics } from "./node-metrics.ts";
import { NodeViews, type HistoryLimits } from "./node-views.ts";
import { confirmPodDeletion, RecentlyDeletedPods, recordNodeEvents, upsertNode, writePodStatuses } from "./node-writes.ts";

export interface MeshHubOptions {
  registry: Registry;
  /** The server's informer, already started. */
  informer: Informer;
  /** The node a request's credential belongs to; undefined when it is not a node credential. */
  authenticate: (req: Request) => Promise<{ node: string } | undefined>;
  /** Told for every node-status an agent sends (its heartbeat). */
  onHeartbeat?: (node: string) => void;
  log: (line: string) => void;
  /** How often each agent is pinged (default 5 s). */
  pingIntervalMs?: number;
  /** A link silent this long is closed (default 10 s). */
  deadAfterMs?: number;
  /** Queued bytes past which a socket gets no more deltas until it drains (default 1 MiB). */
  maxBufferedBytes?: number;
  history?: HistoryLimits;
  /** Issues the tokens agents mount into pods; without it (or caPem) an sa-token-request is answered with an error. */
  serviceAccountTokens?: { issue(req: IssueRequest): Promise<IssuedToken> };
  /** The cluster CA (PEM), mounted next to the token as ca.crt. */
  caPem?: string;
}

/** Lifetime of the tokens mounted into pods (the kubelet's default for the projected token volume). */
export const POD_TOKEN_SECONDS = 3600;

export interface MeshSocketData {
  node: string;
  session?: Session;
}

type MeshSocket = ServerWebSocket<MeshSocketData>;

interface Session {
  ws: MeshSocket;
  node: string;
  opened: number;
  lastSeen: number;
  lastPing: number;
  helloed: boolean;
  stale: boolean;
  acked: number | undefined;
  warned: boolean;
}

export interface SessionInfo {
  buffered: number;
  stale: boolean;
  acked: number | undefined;
  historyDeltas: number;
  historyBytes: number;
}

export class MeshHub {
  /** Distinguishes this server process: an ack from another one cannot be resumed from. */
  readonly sessionId = crypto.randomUUID();
  readonly websocket: WebSocketHandler<MeshSocketData>;
  /** The latest usage sample of each node (metrics.k8s.io reads it). */
  readonly metrics = new NodeMetrics();
  private readonly sessions = new Map<string, Session>();
  private readonly views: NodeViews;
  private readonly relay = new LogRelay();
  /** The agents' Events, written as kubelet's (repeats folded into count). */
  private readonly events: RegistryEventRecorder;
  private readonly deletedPods = new RecentlyDeletedPods();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly pingMs: number;
  private readonly deadMs: number;
  private readonly maxBuffered: number;
  private nextLogId = 0;
  private closed = false;

  constructor(private readonly opts: MeshHubOptions) {
    this.pingMs = opts.pingIntervalMs ?? 5000;
    this.deadMs = opts.deadAfterMs ?? 10_000;
    this.maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
    this.views = new NodeViews(opts.informer, opts.history ?? {}, (node, frame) => this.deliver(node, frame));
    opts.informer.on({ delete: (o) => o.kind === "Pod" && this.deletedPods.remember(o) });
    this.events = new RegistryEventRecorder(opts.registry, { component: "kubelet", clock: systemClock, onError: (e) => this.opts.log(`mesh: writing an agent's event: ${errorText(e)}`) });
    this.timer = setInterval(() => this.tick(), Math.max(20, Math.min(this.pingMs, this.deadMs) / 4));
    this.websocket = {
      open: (ws) => this.opened(ws),
      message: (ws, data) => this.received(ws, data),
      pong: (ws) => this.ponged(ws),
      drain: (ws) => this.drained(ws),
      close: (ws, code, reason) => this.closedSocket(ws, code, reason),
      // A snapshot may be bigger than maxBufferedBytes; Bun must not drop it (it drops past this limit).
      backpressureLimit: 64 * 1024 * 1024,
      // Liveness is ours (ping + deadAfterMs); Bun's own idle timeout stays as a backstop.
      sendPings: false,
      idleTimeout: 120,
    };
  }

  /**
   * For Bun.serve's fetch, on requests to MESH_PATH: upgrades a node's
   * authenticated request (resolves undefined; Bun answers 101), else
   * resolves the error Response (401 without a node credential).
   */
  async handleUpgrade(req: Request, server: Server<MeshSocketData>): Promise<Response | undefined> {
    if (this.closed) return statusResponse(new TugError("ServiceUnavailable", "the server is shutting down"));
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return statusResponse(new TugError("BadRequest", `${MESH_PATH} accepts only WebSocket upgrades`));
    const who = await this.opts.authenticate(req);
    if (!who) return statusResponse(new TugError("Unauthorized", "the mesh accepts only node credentials"));
    if (server.upgrade(req, { data: { node: who.node } })) return undefined;
    return statusResponse(new TugError("BadRequest", "the WebSocket upgrade failed"));
  }

  /** Whether a request is for the mesh endpoint. */
  static isMeshRequest(req: Request): boolean {
    return new URL(req.url).pathname === MESH_PATH;
  }

  /**
   * Relays a log request to the agent of `node`; undefined when that node
   * has no mesh session. The promise rejects with the agent's TugError
   * (NotFound, BadRequest) when it cannot serve the logs at all.
   */
  logs(node: string, req: Omit<LogsRequest, "type" | "id">, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> | undefined {
    const s = this.sessions.get(node);
    if (!s?.helloed) return undefined;
    const id = `${this.sessionId.slice(0, 8)}-${++this.nextLogId}`;
    const stream = this.relay.open(id, s, () => this.send(s, { type: "logs-cancel", id }), signal);
    this.send(s, { type: "logs-request", id, ...req });
    return stream;
  }

  /** Nodes with a live mesh session. */
  connected(): string[] {
    return [...this.sessions.values()].filter((s) => s.helloed).map((s) => s.node);
  }

  /** The state of a node's session (for tests and diagnostics). */
  info(node: string): SessionInfo | undefined {
    const s = this.sessions.get(node);
    if (!s) return undefined;
    const h = this.views.historyOf(node);
    return { buffered: s.ws.getBufferedAmount(), stale: s.stale, acked: s.acked, historyDeltas: h?.deltas ?? 0, historyBytes: h?.bytes ?? 0 };
  }

  /** Forgets a node's history and usage (its Node was deleted). */
  forget(node: string): void {
    this.views.forget(node);
    this.metrics.forget(node);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.views.stop();
    for (const s of this.sessions.values()) {
      this.relay.drop(s, "the server is shutting down");
      s.ws.close(1001, "server shutting down");
    }
    this.sessions.clear();
  }

  private opened(ws: MeshSocket): void {
    const now = Date.now();
    const s: Session = { ws, node: ws.data.node, opened: now, lastSeen: now, lastPing: now, helloed: false, stale: false, acked: undefined, warned: false };
    ws.data.session = s;
    const old = this.sessions.get(s.node);
    if (old) {
      this.relay.drop(old, `the agent of node ${s.node} reconnected`);
      old.ws.close(4000, "replaced by a newer connection");
    }
    this.sessions.set(s.node, s);
  }

  private received(ws: MeshSocket, data: string | Buffer): void {
    const s = ws.data.session;
    if (!s) return;
    s.lastSeen = Date.now();
    let m: AgentMessage;
    try {
      if (typeof data !== "string") throw new TugError("BadRequest", "mesh frames are text");
      m = parseAgentMessage(data);
    } catch (e) {
      this.opts.log(`mesh: node ${s.node}: ${e instanceof Error ? e.message : String(e)}; closing its link`);
      ws.close(1008, "bad frame");
      return;
    }
    switch (m.type) {
      case "hello":
        return this.hello(s, m);
      case "ack":
        s.acked = m.rv;
        return;
      case "node-status":
        return void this.nodeStatus(s, m);
      case "pod-statuses":
        return void this.podStatuses(s, m);
      case "sa-token-request":
        return void this.serviceAccountToken(s, m);
      case "pod-deleted":
        return void this.podDeleted(s, m);
      case "logs-chunk":
        return this.relay.chunk(s, m.id, m.data);
      case "logs-end":
        return this.relay.end(s, m.id, m.error === undefined ? undefined : { message: m.error, code: m.code });
      case "metrics":
        if (s.helloed) this.metrics.record(s.node, m);
        return;
      case "events":
        if (!s.helloed) return;
        return recordNodeEvents(this.events, this.opts.informer, this.deletedPods, s.node, m.items, (item) => {
          if (s.warned) return;
          s.warned = true;
          this.opts.log(`mesh: node ${s.node} sent an event about ${item.kind} ${item.namespace ? `${item.namespace}/` : ""}${item.name}, which is not its own; ignored (logged once per connection)`);
        });
    }
  }

  private hello(s: Session, m: Extract<AgentMessage, { type: "hello" }>): void {
    if (m.node !== s.node) {
      this.opts.log(`mesh: a credential of node ${s.node} said hello as node ${m.node}; closing`);
      s.ws.close(1008, "hello names another node");
      return;
    }
    s.helloed = true;
    const missed = m.sessionId === this.sessionId && m.lastAck !== undefined ? this.views.since(s.node, m.lastAck) : undefined;
    if (!missed) return this.sendSnapshot(s);
    s.ws.cork(() => {
      this.send(s, { type: "resume", sessionId: this.sessionId, rv: m.lastAck! });
      for (const frame of missed) this.sendDelta(s, frame);
    });
  }

  private async nodeStatus(s: Session, m: Extract<AgentMessage, { type: "node-status" }>): Promise<void> {
    try {
      const node = await upsertNode(this.opts.registry, s.node, m);
      this.send(s, { type: "node", id: m.id, node });
      this.opts.onHeartbeat?.(s.node);
    } catch (e) {
      this.send(s, { type: "done", id: m.id, error: errorText(e) });
      if (!(e instanceof TugError)) this.opts.log(`mesh: node ${s.node}: writing its Node: ${errorText(e)}`);
    }
  }

  private async podStatuses(s: Session, m: Extract<AgentMessage, { type: "pod-statuses" }>): Promise<void> {
    try {
      await writePodStatuses(this.opts.registry, this.opts.informer, s.node, m.items, (item) => {
        if (s.warned) return;
        s.warned = true;
        this.opts.log(`mesh: node ${s.node} reported the status of pod ${item.namespace}/${item.name}, which is not on it; ignored (logged once per connection)`);
      });
      this.send(s, { type: "done", id: m.id });
    } catch (e) {
      this.send(s, { type: "done", id: m.id, error: errorText(e) });
      if (!(e instanceof TugError)) this.opts.log(`mesh: node ${s.node}: writing pod status: ${errorText(e)}`);
    }
  }

  private async podDeleted(s: Session, m: Extract<AgentMessage, { type: "pod-deleted" }>): Promise<void> {
    try {
      await confirmPodDeletion(this.opts.registry, this.opts.informer, s.node, m);
      this.send(s, { type: "done", id: m.id });
    } catch (e) {
      this.send(s, { type: "done", id: m.id, error: errorText(e) });
      if (!(e instanceof TugError)) this.opts.log(`mesh: node ${s.node}: ending pod ${m.namespace}/${m.name}: ${errorText(e)}`);
    }
  }

  /** A token for a pod bound to this session's node, bound to that pod (as the kubelet's TokenRequest). */
  private async serviceAccountToken(s: Session, m: Extract<AgentMessage, { type: "sa-token-request" }>): Promise<void> {
    try {
      const { serviceAccountTokens: tokens, caPem } = this.opts;
      if (!tokens || !caPem) throw new TugError("ServiceUnavailable", "this server issues no ServiceAccount tokens over the mesh");
      const pod = this.opts.informer.get("Pod", m.namespace, m.pod);
      // The same answer for "no such pod" and "another node's pod": a node learns nothing about pods not its own.
      if (!pod || (pod.spec as { nodeName?: string } | undefined)?.nodeName !== s.node) {
        throw new TugError("Forbidden", `node ${s.node} has no pod ${m.namespace}/${m.pod}`);
      }
      const saName = (pod.spec as { serviceAccountName?: string }).serviceAccountName || "default";
      const sa = this.opts.informer.get("ServiceAccount", m.namespace, saName);
      if (!sa) throw new TugError("NotFound", `serviceaccount "${saName}" not found in namespace ${m.namespace}`);
      const issued = await tokens.issue({
        namespace: m.namespace,
        name: saName,
        uid: sa.metadata.uid ?? "",
        expirationSeconds: POD_TOKEN_SECONDS,
        boundObject: { kind: "Pod", name: m.pod, uid: pod.metadata.uid ?? "" },
      });
      this.send(s, { type: "sa-token", id: m.id, token: issued.token, expirationTimestamp: issued.expirationTimestamp, caPem });
    } catch (e) {
      this.send(s, { type: "done", id: m.id, error: errorText(e) });
      if (!(e instanceof TugError)) this.opts.log(`mesh: node ${s.node}: issuing a token for pod ${m.namespace}/${m.pod}: ${errorText(e)}`);
    }
  }

  private deliver(node: string, frame: string): void {
    const s = this.sessions.get(node);
    if (s?.helloed) this.sendDelta(s, frame);
  }

  private sendDelta(s: Session, frame: string): void {
    if (s.stale) return;
    if (s.ws.getBufferedAmount() > this.maxBuffered) {
      // Coalesce: what this agent misses now arrives as one snapshot once its socket drains.
      s.stale = true;
      return;
    }
    this.sendRaw(s, frame);
  }

  private sendSnapshot(s: Session): void {
    s.stale = false;
    this.sendRaw(s, encodeMessage(this.views.snapshot(s.node, this.sessionId)));
  }

  private send(s: Session, m: ServerMessage): void {
    this.sendRaw(s, encodeMessage(m));
  }

  private sendRaw(s: Session, frame: string): void {
    if (s.ws.readyState !== 1) return;
    // 0: dropped (past backpressureLimit): the agent's picture would have a hole, so it reconnects instead.
    if (s.ws.send(frame) === 0 && frame.length > 0) s.ws.close(1013, "too far behind");
  }

  private seen(ws: MeshSocket): void {
    const s = ws.data.session;
    if (s) s.lastSeen = Date.now();
  }

  /**
   * A pong is the agent saying it is alive, as a kubelet's Lease renewal is:
   * it counts as a heartbeat, so a node-monitor grace period shorter than the
   * 10 s node-status period does not make healthy nodes flap.
   */
  private ponged(ws: MeshSocket): void {
    this.seen(ws);
    const s = ws.data.session;
    if (s?.helloed) this.opts.onHeartbeat?.(s.node);
  }

  private drained(ws: MeshSocket): void {
    const s = ws.data.session;
    if (s?.stale && ws.getBufferedAmount() <= this.maxBuffered) this.sendSnapshot(s);
  }

  private closedSocket(ws: MeshSocket, code: number, reason: string): void {
    const s = ws.data.session;
    if (!s) return;
    this.relay.drop(s, `the agent of node ${s.node} disconnected`);
    if (this.sessions.get(s.node) === s) this.sessions.delete(s.node);
    if (code !== 1000 && code !== 1001 && code !== 4000) this.opts.log(`mesh: node ${s.node} disconnected (${code}${reason ? ` ${reason}` : ""})`);
  }

  private tick(): void {
    const now = Date.now();
    for (const s of this.sessions.values()) {
      if (now - s.lastSeen > this.deadMs) {
        this.opts.log(`mesh: node ${s.node} silent for ${now - s.lastSeen} ms; closing its link`);
        this.sessions.delete(s.node);
        this.relay.drop(s, `the link to node ${s.node} is dead`);
        s.ws.terminate();
        continue;
      }
      if (!s.helloed && now - s.opened > this.deadMs) {
        s.ws.close(1008, "no hello");
        continue;
      }
      // Bun calls drain when the buffer empties; this is the backstop should that not come.
      if (s.stale && s.ws.getBufferedAmount() <= this.maxBuffered) this.sendSnapshot(s);
      if (now - s.lastPing >= this.pingMs) {
        s.lastPing = now;
        s.ws.ping();
      }
    }
  }
}

function statusResponse(e: TugError): Response {
  return Response.json(statusOf(e), { status: e.status });
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
