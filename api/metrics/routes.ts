// The resource metrics API (metrics.k8s.io/v1beta1) as metrics-server serves
// it, read by `kubectl top` and `tug top`: NodeMetrics and PodMetrics built
// from the agents' latest samples (kept in memory by the mesh hub). Only
// objects that still exist are served, a pod only from the node it is bound
// to, and with their labels so label selectors work. Authorization happened
// in the security middleware (a read of nodes or pods).

import type { Context, Hono } from "hono";
import { TugError } from "../../core/errors.ts";
import type { PodUsage } from "../../core/mesh/messages.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import type { Registry } from "../../core/registry/registry.ts";
import type { NodeMetrics, NodeSample } from "../mesh/node-metrics.ts";

export const METRICS_GROUP = "metrics.k8s.io";
export const METRICS_VERSION = "v1beta1";
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;
const PREFIX = `/apis/${API_VERSION}`;

/** The APIResourceList of metrics.k8s.io/v1beta1, as metrics-server registers it. */
export function metricsResourceList() {
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: API_VERSION,
    resources: [
      { name: "nodes", singularName: "", namespaced: false, kind: "NodeMetrics", verbs: ["get", "list"] },
      { name: "pods", singularName: "", namespaced: true, kind: "PodMetrics", verbs: ["get", "list"] },
    ],
  };
}

function meta(o: KubeObject) {
  const { name, namespace, labels } = o.metadata;
  // creationTimestamp is when the metrics object was made, i.e. now (as metrics-server does).
  return { name, ...(namespace ? { namespace } : {}), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"), ...(labels ? { labels } : {}) };
}

function nodeMetrics(node: KubeObject, s: NodeSample) {
  return { kind: "NodeMetrics", apiVersion: API_VERSION, metadata: meta(node), timestamp: s.report.timestamp, window: s.report.window, usage: s.report.node };
}

function podMetrics(pod: KubeObject, s: NodeSample, usage: PodUsage) {
  return {
    kind: "PodMetrics",
    apiVersion: API_VERSION,
    metadata: meta(pod),
    timestamp: s.report.timestamp,
    window: s.report.window,
    containers: usage.containers.map((c) => ({ name: c.name, usage: { cpu: c.cpu, memory: c.memory } })),
  };
}

const list = (kind: string, items: unknown[]) => ({ kind, apiVersion: API_VERSION, metadata: {}, items });

const notFound = (resource: "nodes" | "pods", name: string) =>
  new TugError("NotFound", `${resource}.${METRICS_GROUP} "${name}" not found`, { name, group: METRICS_GROUP, kind: resource });

/** Pod usage by "namespace/name", each with the sample of the node that reported it. */
function podUsages(metrics: NodeMetrics): Map<string, { sample: NodeSample; usage: PodUsage }> {
  const byPod = new Map<string, { sample: NodeSample; usage: PodUsage }>();
  for (const sample of metrics.list()) for (const usage of sample.report.pods) byPod.set(`${usage.namespace}/${usage.name}`, { sample, usage });
  return byPod;
}

/** The pod's metrics when its usage came from the node it is bound to (not a stale report from an old node). */
function podMetricsOf(pod: KubeObject, byPod: ReturnType<typeof podUsages>) {
  const found = byPod.get(`${pod.metadata.namespace}/${pod.metadata.name}`);
  const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  return found && found.sample.node === nodeName ? podMetrics(pod, found.sample, found.usage) : undefined;
}

export function mountMetrics(app: Hono, deps: { registry: Registry; metrics: NodeMetrics }): void {
  const { registry, metrics } = deps;
  const labelSelector = (c: Context) => c.req.query("labelSelector") || undefined;

  app.get(`${PREFIX}/nodes`, async (c) => {
    const nodes = await registry.list("Node", { labelSelector: labelSelector(c) });
    const items = nodes.items.flatMap((n) => {
      const s = metrics.get(n.metadata.name ?? "");
      return s ? [nodeMetrics(n, s)] : [];
    });
    return c.json(list("NodeMetricsList", items));
  });
  app.get(`${PREFIX}/nodes/:name`, async (c) => {
    const name = c.req.param("name");
    const s = metrics.get(name);
    if (!s) throw notFound("nodes", name);
    const node = await registry.get("Node", "", name).catch(() => undefined);
    if (!node) throw notFound("nodes", name);
    return c.json(nodeMetrics(node, s));
  });

  const listPods = async (c: Context, namespace: string | undefined) => {
    const pods = await registry.list("Pod", { namespace, labelSelector: labelSelector(c) });
    const byPod = podUsages(metrics);
    return c.json(list("PodMetricsList", pods.items.flatMap((p) => podMetricsOf(p, byPod) ?? [])));
  };
  app.get(`${PREFIX}/pods`, (c) => listPods(c, undefined));
  app.get(`${PREFIX}/namespaces/:namespace/pods`, (c) => listPods(c, c.req.param("namespace")));
  app.get(`${PREFIX}/namespaces/:namespace/pods/:name`, async (c) => {
    const { namespace, name } = c.req.param();
    const pod = await registry.get("Pod", namespace, name).catch(() => undefined);
    const m = pod && podMetricsOf(pod, podUsages(metrics));
    if (!m) throw notFound("pods", name);
    return c.json(m);
  });
}
