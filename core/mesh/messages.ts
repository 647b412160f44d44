// The mesh protocol: the typed JSON frames that travel over an agent's one
// WebSocket (`/mesh/v1`), defined once for the hub and the agent, with the
// parsers both sides run on every frame they receive.
//
//   agent                                   server (hub)
//   hello {node, lastAck?, sessionId?} ──▶
//                                       ◀── snapshot | resume, then delta…
//   ack {rv} ──▶                            (after the agent applied it)
//   node-status {id,…} ──▶              ◀── node {id, node} | done {id, error}
//   pod-statuses {id, items} ──▶        ◀── done {id, error?}
//                                       ◀── logs-request {id,…} / logs-cancel {id}
//   logs-chunk {id, data}… logs-end {id, error?} ──▶
//   pod-deleted {id, namespace, name, uid} ──▶   ◀── done {id, error?}   (a Terminating pod's containers are gone)
//   sa-token-request {id, namespace, pod} ──▶
//                                       ◀── sa-token {id, token, expirationTimestamp, caPem} | done {id, error}
//   metrics {timestamp, window, node, pods} ──▶   (every 10 s; no answer, kept in memory)
//   events {items} ──▶                  (kubelet's Events, coalesced; no answer, written as Events)
//
// resourceVersions are numbers here (the store's global counter): a delta's
// rv is the resourceVersion of the change it carries.

import { ERROR_CODES, TugError, type ErrorCode } from "../errors.ts";
import type { KubeObject } from "../resources/object.ts";

export const MESH_PATH = "/mesh/v1";

/** What a node's proxier needs to route to another node's pods. */
export interface NodeRoute {
  name: string;
  podCIDR?: string;
  internalIP?: string;
}

export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface LogsRequest {
  type: "logs-request";
  id: string;
  namespace: string;
  pod: string;
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
}

export interface Snapshot {
  type: "snapshot";
  sessionId: string;
  rv: number;
  pods: KubeObject[];
  configMaps: KubeObject[];
  secrets: KubeObject[];
  services: KubeObject[];
  endpoints: KubeObject[];
  nodes: NodeRoute[];
}

export interface Delta {
  type: "delta";
  rv: number;
  upserts: KubeObject[];
  routes?: NodeRoute[];
  deletes: ObjectRef[];
}

export interface PodStatusItem {
  namespace: string;
  name: string;
  uid: string;
  status: Record<string, unknown>;
}

/** CPU (a rate, e.g. "250m"/"123456789n") and memory (working set, e.g. "123456Ki") as Kubernetes quantities. */
export interface ResourceUsage {
  cpu: string;
  memory: string;
}

/** Usage of one pod's running containers on the reporting node. */
export interface PodUsage {
  namespace: string;
  name: string;
  containers: (ResourceUsage & { name: string })[];
}

/** One usage sample of a node and its pods (what metrics-server would scrape from a kubelet). */
export interface MetricsReport {
  type: "metrics";
  /** RFC 3339: the end of the window the rates were measured over. */
  timestamp: string;
  /** The window's length, e.g. "10s" (a Go duration, as metrics.k8s.io has it). */
  window: string;
  node: ResourceUsage;
  pods: PodUsage[];
}

/**
 * An Event the agent records about one of its pods (a container by fieldPath)
 * or its own Node, in kubelet's words; `count` repeats of it since the last send.
 */
export interface AgentEvent {
  kind: "Pod" | "Node";
  /** "" for the Node. */
  namespace: string;
  name: string;
  uid: string;
  /** e.g. "spec.containers{web}". */
  fieldPath?: string;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
  count: number;
}

export type ServerMessage =
  | Snapshot
  // The agent's picture at `rv` is still good: the deltas after it follow.
  | { type: "resume"; sessionId: string; rv: number }
  | Delta
  | LogsRequest
  | { type: "logs-cancel"; id: string }
  | { type: "node"; id: number; node: KubeObject }
  // A ServiceAccount token bound to one of the node's pods, with the CA that in-cluster clients trust.
  | { type: "sa-token"; id: number; token: string; expirationTimestamp: string; caPem: string }
  | { type: "done"; id: number; error?: string };

export type AgentMessage =
  | { type: "hello"; node: string; lastAck?: number; sessionId?: string }
  | { type: "ack"; rv: number }
  | { type: "node-status"; id: number; labels: Record<string, string>; annotations: Record<string, string>; status: Record<string, unknown> }
  | { type: "pod-statuses"; id: number; items: PodStatusItem[] }
  | { type: "sa-token-request"; id: number; namespace: string; pod: string }
  | { type: "pod-deleted"; id: number; namespace: string; name: string; uid: string }
  | { type: "logs-chunk"; id: string; data: string }
  | { type: "logs-end"; id: string; error?: string; code?: ErrorCode }
  | { type: "events"; items: AgentEvent[] }
  | MetricsReport;

// Frames are checked by a few small combinators rather than zod: the agent
// parses every frame, and zod alone costs it ~15 MB RSS (target < 45 MB).
// A check returns the path and problem of the first bad field, or undefined.
type Check = (v: unknown, path: string) => string | undefined;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str: Check = (v, p) => (typeof v === "string" ? undefined : `${p}: expected a string`);
const num: Check = (v, p) => (typeof v === "number" && Number.isFinite(v) ? undefined : `${p}: expected a number`);
const count: Check = (v, p) => (Number.isInteger(v) && (v as number) >= 0 ? undefined : `${p}: expected a non-negative integer`);
const bool: Check = (v, p) => (typeof v === "boolean" ? undefined : `${p}: expected true or false`);
const opt = (c: Check): Check => (v, p) => (v === undefined ? undefined : c(v, p));
const arr = (c: Check): Check => (v, p) => {
  if (!Array.isArray(v)) return `${p}: expected an array`;
  for (let i = 0; i < v.length; i++) {
    const e = c(v[i], `${p}.${i}`);
    if (e) return e;
  }
  return undefined;
};
const obj = (fields: Record<string, Check>): Check => (v, p) => {
  if (!isObj(v)) return `${p}: expected an object`;
  for (const [k, c] of Object.entries(fields)) {
    const e = c(v[k], p ? `${p}.${k}` : k);
    if (e) return e;
  }
  return undefined;
};
const record = (values?: Check): Check => (v, p) => {
  if (!isObj(v)) return `${p}: expected an object`;
  if (values) for (const [k, x] of Object.entries(v)) if (values(x, `${p}.${k}`)) return `${p}.${k}: expected a string`;
  return undefined;
};
const oneOf = (values: readonly string[]): Check => (v, p) => (typeof v === "string" && values.includes(v) ? undefined : `${p}: expected one of ${values.join(", ")}`);

// Objects are checked for their envelope only; their kinds' schemas are the server's business.
const kubeObject = obj({ apiVersion: str, kind: str, metadata: obj({ name: opt(str), namespace: opt(str) }) });
const nodeRoute = obj({ name: str, podCIDR: opt(str), internalIP: opt(str) });
const objectRef = obj({ kind: str, namespace: str, name: str });
const podStatus = obj({ namespace: str, name: str, uid: str, status: record() });
const agentEvent = obj({
  kind: oneOf(["Pod", "Node"]),
  namespace: str,
  name: str,
  uid: str,
  fieldPath: opt(str),
  type: oneOf(["Normal", "Warning"]),
  reason: str,
  message: str,
  count: count,
});
const usage = { cpu: str, memory: str };
const podUsage = obj({ namespace: str, name: str, containers: arr(obj({ name: str, ...usage })) });

const SERVER_FRAMES: Record<ServerMessage["type"], Record<string, Check>> = {
  snapshot: { sessionId: str, rv: count, pods: arr(kubeObject), configMaps: arr(kubeObject), secrets: arr(kubeObject), services: arr(kubeObject), endpoints: arr(kubeObject), nodes: arr(nodeRoute) },
  resume: { sessionId: str, rv: count },
  delta: { rv: count, upserts: arr(kubeObject), routes: opt(arr(nodeRoute)), deletes: arr(objectRef) },
  "logs-request": { id: str, namespace: str, pod: str, container: str, follow: bool, previous: bool, timestamps: bool, tailLines: opt(count) },
  "logs-cancel": { id: str },
  node: { id: num, node: kubeObject },
  "sa-token": { id: num, token: str, expirationTimestamp: str, caPem: str },
  done: { id: num, error: opt(str) },
};

const AGENT_FRAMES: Record<AgentMessage["type"], Record<string, Check>> = {
  hello: { node: str, lastAck: opt(count), sessionId: opt(str) },
  ack: { rv: count },
  "node-status": { id: num, labels: record(str), annotations: record(str), status: record() },
  "pod-statuses": { id: num, items: arr(podStatus) },
  "sa-token-request": { id: num, namespace: str, pod: str },
  "pod-deleted": { id: num, namespace: str, name: str, uid: str },
  "logs-chunk": { id: str, data: str },
  "logs-end": { id: str, error: opt(str), code: opt(oneOf(Object.keys(ERROR_CODES))) },
  metrics: { timestamp: str, window: str, node: obj(usage), pods: arr(podUsage) },
  events: { items: arr(agentEvent) },
};

/** Parses one frame from the server; a frame of the wrong shape is a BadRequest. */
export function parseServerMessage(text: string): ServerMessage {
  return parse(SERVER_FRAMES, text) as ServerMessage;
}

/** Parses one frame from an agent; a frame of the wrong shape is a BadRequest. */
export function parseAgentMessage(text: string): AgentMessage {
  return parse(AGENT_FRAMES, text) as AgentMessage;
}

export function encodeMessage(m: ServerMessage | AgentMessage): string {
  return JSON.stringify(m);
}

function parse(frames: Record<string, Record<string, Check>>, text: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TugError("BadRequest", "mesh frame is not JSON");
  }
  const type = isObj(json) && typeof json.type === "string" ? json.type : undefined;
  const fields = type !== undefined && Object.hasOwn(frames, type) ? frames[type] : undefined;
  if (!fields) throw new TugError("BadRequest", `mesh frame "${type ?? "?"}": type: expected one of ${Object.keys(frames).join(", ")}`);
  const problem = obj(fields)(json, "");
  if (problem) throw new TugError("BadRequest", `mesh frame "${type}": ${problem}`);
  return json;
}

/** The route fields of a Node object. */
export function routeOf(node: KubeObject): NodeRoute {
  const spec = (node.spec ?? {}) as { podCIDR?: string };
  const addresses = ((node.status ?? {}) as { addresses?: { type: string; address: string }[] }).addresses ?? [];
  const ip = addresses.find((a) => a.type === "InternalIP")?.address;
  return { name: node.metadata.name ?? "", ...(spec.podCIDR ? { podCIDR: spec.podCIDR } : {}), ...(ip ? { internalIP: ip } : {}) };
}
