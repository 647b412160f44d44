// The agent's one narrow interface to the control plane. Inputs: the desired
// state of this node (its pods and the ConfigMaps/Secrets they reference).
// Outputs: the Node, pod statuses, the end of a pod's deletion, events. Two transports
// implement it: HttpLink (list + watch against the API) and MeshLink (the
// WebSocket mesh); the rest of the agent does not know which.

import type { AgentEvent, MetricsReport, NodeRoute } from "../../core/mesh/messages.ts";
import type { KubeObject } from "../../core/resources/object.ts";

export interface DesiredState {
  /** Pods bound to this node (spec.nodeName), as the server has them. */
  pods: KubeObject[];
  /** ConfigMaps and Secrets the pods reference, by "namespace/name". */
  configMaps: Map<string, KubeObject>;
  secrets: Map<string, KubeObject>;
  /** What the service proxier needs (the mesh link fills these; the HTTP link does not). */
  services?: KubeObject[];
  endpoints?: KubeObject[];
  nodes?: NodeRoute[];
}

export interface PodStatusReport {
  namespace: string;
  name: string;
  uid: string;
  status: Record<string, unknown>;
}

/** A ServiceAccount token for one pod, as the server issued it (bound to the pod). */
export interface ServiceAccountToken {
  token: string;
  /** RFC 3339. */
  expirationTimestamp: string;
  /** The cluster CA (PEM), for the pod's ca.crt. */
  caPem: string;
}

export interface LinkHandlers {
  /** A full, consistent picture of this node's desired state (called again on every change). */
  desired(state: DesiredState): void;
  /** The link came up (true) or went down (false). */
  connection(up: boolean): void;
}

export interface AgentLink {
  /** Starts following the desired state; keeps reconnecting on its own until close(). */
  start(handlers: LinkHandlers): void;
  /**
   * Creates the Node when it is missing, else merges labels/annotations and
   * status into it; returns the server's Node (spec.podCIDR, taints).
   * Rejects when the server is unreachable.
   */
  upsertNode(node: { labels: Record<string, string>; annotations: Record<string, string>; status: Record<string, unknown> }): Promise<KubeObject>;
  /** Pod statuses, batched by the caller; a pod that no longer exists is skipped. */
  reportPodStatuses(batch: PodStatusReport[]): Promise<void>;
  /**
   * The containers of a pod marked for deletion are gone: the server removes
   * the Pod (the kubelet's final delete). Rejects when the server is unreachable.
   */
  confirmPodDeletion(pod: { namespace: string; name: string; uid: string }): Promise<void>;
  /**
   * A token for the ServiceAccount of pod `namespace/pod` (on this node).
   * Rejects when the server is unreachable or refuses (not this node's pod,
   * no such ServiceAccount). A link without it mounts no tokens into pods.
   */
  requestServiceAccountToken?(namespace: string, pod: string): Promise<ServiceAccountToken>;
  /**
   * One usage sample (node and pods) for the server's metrics API; sent
   * without waiting for an answer, dropped while the link is down (the next
   * sample replaces it). A link without it serves no metrics.
   */
  reportMetrics?(report: MetricsReport): void;
  /**
   * Events about this node and its pods, sent without waiting for an answer;
   * false (nothing sent) while the link is down, so the caller keeps them.
   * A link without it records no events.
   */
  reportEvents?(items: AgentEvent[]): boolean;
  /** The API server's URL as pods should see it: the server in use, else the first one configured. */
  apiServerUrl?(): string | undefined;
  close(): Promise<void>;
}
