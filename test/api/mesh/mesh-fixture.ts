// What the mesh tests share: a hub on a real Bun.serve over a controller
// harness (LMDB, informer, registry), node credentials as plain tokens, a
// hand-driven agent on a real WebSocket, and pods bound to nodes.

import { MeshHub, type MeshSocketData } from "../../../api/mesh/hub.ts";
import { encodeMessage, MESH_PATH, parseServerMessage, type AgentMessage, type ServerMessage } from "../../../core/mesh/messages.ts";
import type { Registry } from "../../../core/registry/registry.ts";
import type { ControllerHarness } from "../../controllers/harness.ts";

export interface TestHub {
  hub: MeshHub;
  server: ReturnType<typeof Bun.serve<MeshSocketData>>;
  url: string;
  stop(): Promise<void>;
}

/** A hub whose node credentials are `tokens` (token -> node name); its log lines go to `logs`. */
export function startHub(h: ControllerHarness, tokens: Record<string, string>, logs: string[], opts: Partial<ConstructorParameters<typeof MeshHub>[0]> = {}): TestHub {
  const hub = new MeshHub({
    registry: h.registry,
    informer: h.informer,
    authenticate: async (req) => {
      const token = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
      const node = token ? tokens[token] : undefined;
      return node ? { node } : undefined;
    },
    log: (l) => logs.push(l),
    ...opts,
  });
  const server = Bun.serve<MeshSocketData>({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req, srv) => (MeshHub.isMeshRequest(req) ? hub.handleUpgrade(req, srv) : new Response("not found", { status: 404 })),
    websocket: hub.websocket,
  });
  return {
    hub,
    server,
    url: `http://127.0.0.1:${server.port}`,
    stop: async () => {
      hub.close();
      await server.stop(true);
    },
  };
}

/** A hand-driven agent: frames in a queue, taken in order by next(). */
export class RawAgent {
  readonly frames: ServerMessage[] = [];
  private wakeup: (() => void) | undefined;
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (ev) => {
      this.frames.push(parseServerMessage(ev.data as string));
      this.wakeup?.();
    });
    ws.addEventListener("close", () => {
      this.closed = true;
      this.wakeup?.();
    });
  }

  static async connect(url: string, token: string): Promise<RawAgent> {
    const ws = new WebSocket(url.replace(/^http/, "ws") + MESH_PATH, { headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error("websocket did not open")), { once: true });
    });
    return new RawAgent(ws);
  }

  send(m: AgentMessage): void {
    this.ws.send(encodeMessage(m));
  }

  /** The next frame of `type` (frames of other types before it are dropped). */
  async next<T extends ServerMessage["type"]>(type: T, timeoutMs = 5000): Promise<Extract<ServerMessage, { type: T }>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => f.type === type);
      if (i >= 0) {
        const f = this.frames[i]!;
        this.frames.splice(0, i + 1);
        return f as Extract<ServerMessage, { type: T }>;
      }
      if (Date.now() > end) throw new Error(`no ${type} frame within ${timeoutMs} ms (got ${this.frames.map((f) => f.type).join(", ") || "nothing"})`);
      await new Promise<void>((resolve) => {
        this.wakeup = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** Makes pods p1, p2, ... (or named), bound to `node` when given, optionally referencing a ConfigMap or Secret. */
export function podMaker(registry: Registry) {
  let seq = 0;
  return (node: string | undefined, extra: { configMap?: string; secret?: string; name?: string } = {}) =>
    registry.create("Pod", "default", {
      metadata: { name: extra.name ?? `p${++seq}` },
      spec: {
        ...(node ? { nodeName: node } : {}),
        containers: [{ name: "c", image: "busybox", ...(extra.configMap ? { envFrom: [{ configMapRef: { name: extra.configMap } }] } : {}) }],
        ...(extra.secret ? { volumes: [{ name: "s", secret: { secretName: extra.secret } }] } : {}),
      },
    });
}
