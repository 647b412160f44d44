// GET /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/NODE:
// `kubectl describe node` reads the node's Lease and otherwise prints
// "Failed to get lease". tug keeps no Leases; agents heartbeat through the
// Node's Ready condition, so the Lease is a read-only view of that.

import type { Hono } from "hono";
import type { Registry } from "../../core/registry/registry.ts";

interface NodeView {
  metadata: { name?: string; uid?: string; creationTimestamp?: string; resourceVersion?: string };
  status?: { conditions?: { type: string; lastHeartbeatTime?: string }[] };
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
function microTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds()).padStart(3, "0")}000Z`;
}

export function leaseOf(node: NodeView) {
  const name = node.metadata.name ?? "";
  const beat = node.status?.conditions?.find((c) => c.type === "Ready")?.lastHeartbeatTime;
  return {
    kind: "Lease",
    apiVersion: "coordination.k8s.io/v1",
    metadata: {
      name,
      namespace: "kube-node-lease",
      ...(node.metadata.creationTimestamp ? { creationTimestamp: node.metadata.creationTimestamp } : {}),
      ...(node.metadata.resourceVersion ? { resourceVersion: node.metadata.resourceVersion } : {}),
      ownerReferences: [{ apiVersion: "v1", kind: "Node", name, uid: node.metadata.uid ?? "" }],
    },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, ...(beat ? { renewTime: microTime(beat) } : {}) },
  };
}

export function mountNodeLeases(app: Hono, registry: Registry): void {
  app.get("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/:name", async (c) => {
    // A missing node is the registry's NotFound, which kubectl tolerates.
    const node = (await registry.get("Node", "", c.req.param("name"))) as unknown as NodeView;
    return c.json(leaseOf(node));
  });
}
