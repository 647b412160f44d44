// AgentLink over the Kubernetes REST API: list + watch of this node's pods
// and of ConfigMaps/Secrets, merge-patches for Node and pod status. Reconnects
// with exponential back-off and jitter; any failure re-lists (level-based, so
// nothing is missed across a gap).

import type { KubeObject } from "../../core/resources/object.ts";
import type { AgentLink, DesiredState, LinkHandlers, PodStatusReport } from "./agent-link.ts";
import { referencedObjects } from "./references.ts";

export interface HttpLinkOptions {
  server: string;
  nodeName: string;
  token?: string;
  /** Longest back-off between reconnects (default 10 s). */
  maxBackoffMs?: number;
  log: (line: string) => void;
}

type Collection = "pods" | "configmaps" | "secrets";

export class HttpLink implements AgentLink {
  private readonly objects: Record<Collection, Map<string, KubeObject>> = { pods: new Map(), configmaps: new Map(), secrets: new Map() };
  private readonly synced = new Set<Collection>();
  private readonly abort = new AbortController();
  private handlers: LinkHandlers | undefined;
  private up = false;
  private emitTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly opts: HttpLinkOptions) {}

  start(handlers: LinkHandlers): void {
    this.handlers = handlers;
    const node = encodeURIComponent(this.opts.nodeName);
    void this.follow("pods", `/api/v1/pods?fieldSelector=spec.nodeName%3D${node}`);
    void this.follow("configmaps", "/api/v1/configmaps");
    void this.follow("secrets", "/api/v1/secrets");
  }

  async upsertNode(node: { labels: Record<string, string>; annotations: Record<string, string>; status: Record<string, unknown> }): Promise<KubeObject> {
    const path = `/api/v1/nodes/${encodeURIComponent(this.opts.nodeName)}`;
    const meta = { labels: node.labels, annotations: node.annotations };
    let res = await this.request("PATCH", path, { metadata: meta }, "application/merge-patch+json");
    if (res.status === 404) {
      res = await this.request("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: this.opts.nodeName, ...meta }, spec: {} });
      if (res.status === 409) res = await this.request("PATCH", path, { metadata: meta }, "application/merge-patch+json");
    }
    await expectOk(res, "register node");
    res = await this.request("PATCH", `${path}/status`, { status: node.status }, "application/merge-patch+json");
    await expectOk(res, "update node status");
    return (await res.json()) as KubeObject;
  }

  async reportPodStatuses(batch: PodStatusReport[]): Promise<void> {
    await Promise.all(
      batch.map(async (r) => {
        const path = `/api/v1/namespaces/${encodeURIComponent(r.namespace)}/pods/${encodeURIComponent(r.name)}/status`;
        // The uid guards against writing a replacement pod of the same name.
        const res = await this.request("PATCH", path, { metadata: { uid: r.uid }, status: r.status }, "application/merge-patch+json");
        if (res.status === 404 || res.status === 409) return;
        await expectOk(res, `update status of pod ${r.namespace}/${r.name}`);
      }),
    );
  }

  async close(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.emitTimer);
  }

  private async follow(collection: Collection, path: string): Promise<void> {
    let backoff = 500;
    const maxBackoff = this.opts.maxBackoffMs ?? 10_000;
    while (!this.abort.signal.aborted) {
      try {
        const rv = await this.list(collection, path);
        backoff = 500;
        await this.watch(collection, path, rv);
      } catch (e) {
        if (this.abort.signal.aborted) return;
        this.synced.delete(collection);
        this.setUp(false, e);
        await Bun.sleep(backoff / 2 + Math.random() * backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }

  private async list(collection: Collection, path: string): Promise<string> {
    const res = await this.request("GET", path);
    await expectOk(res, `list ${collection}`);
    const body = (await res.json()) as { items: KubeObject[]; metadata: { resourceVersion: string } };
    const map = this.objects[collection];
    map.clear();
    for (const o of body.items) map.set(keyOf(o), o);
    this.synced.add(collection);
    if (this.synced.size === 3) this.setUp(true);
    this.scheduleEmit();
    return body.metadata.resourceVersion;
  }

  /** Returns when the server ends the watch (a re-list follows); throws on a broken stream. */
  private async watch(collection: Collection, path: string, rv: string): Promise<void> {
    const sep = path.includes("?") ? "&" : "?";
    const res = await this.request("GET", `${path}${sep}watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=300`);
    await expectOk(res, `watch ${collection}`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    const map = this.objects[collection];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        const ev = JSON.parse(line) as { type: string; object: KubeObject };
        if (ev.type === "ERROR") throw new Error(`watch ${collection}: ${(ev.object as { message?: string }).message ?? "error"}`);
        if (ev.type === "BOOKMARK") continue;
        if (ev.type === "DELETED") map.delete(keyOf(ev.object));
        else map.set(keyOf(ev.object), ev.object);
        this.scheduleEmit();
      }
    }
  }

  private scheduleEmit(): void {
    if (this.emitTimer || this.synced.size < 3) return;
    // Coalesce bursts (a Deployment's pods arrive together) into one picture.
    this.emitTimer = setTimeout(() => {
      this.emitTimer = undefined;
      this.handlers?.desired(this.snapshot());
    }, 20);
  }

  private snapshot(): DesiredState {
    const pods = [...this.objects.pods.values()];
    const { configMaps, secrets } = referencedObjects(pods);
    const pick = (keys: Set<string>, from: Map<string, KubeObject>) => new Map([...keys].flatMap((k) => (from.has(k) ? [[k, from.get(k)!] as const] : [])));
    return { pods, configMaps: pick(configMaps, this.objects.configmaps), secrets: pick(secrets, this.objects.secrets) };
  }

  private setUp(up: boolean, err?: unknown): void {
    if (up === this.up) return;
    this.up = up;
    if (!up) this.opts.log(`lost the server ${this.opts.server}: ${err instanceof Error ? err.message : String(err)}; pods keep running, retrying`);
    else this.opts.log(`connected to ${this.opts.server}`);
    this.handlers?.connection(up);
  }

  private request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = contentType;
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    return fetch(this.opts.server + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: this.abort.signal });
  }
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
}

async function expectOk(res: Response, what: string): Promise<void> {
  if (res.ok) return;
  let message = res.statusText;
  try {
    message = ((await res.json()) as { message?: string }).message ?? message;
  } catch {
    // not a Status body: keep the status text
  }
  throw new Error(`${what}: ${res.status} ${message}`);
}
