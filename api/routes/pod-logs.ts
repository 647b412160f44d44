// GET .../pods/NAME/log: the server finds the pod's node and relays the
// request to that node's agent (kubelet's endpoint in the Node's status),
// streaming the answer back. Parameters as kubectl sends them: container,
// follow, previous, tailLines, timestamps.

import type { Context } from "hono";
import { TugError } from "../../core/errors.ts";
import type { Registry } from "../../core/registry/registry.ts";
import type { Pod } from "../../core/resources/pod.ts";

const BOOLEAN_PARAMS = ["follow", "previous", "timestamps"] as const;

export async function podLogs(c: Context, registry: Registry, namespace: string, name: string): Promise<Response> {
  if (c.req.method !== "GET") throw new TugError("MethodNotAllowed", `the server does not allow this method on the requested resource (${c.req.method} pods/log)`);
  const pod = (await registry.get("Pod", namespace, name)) as unknown as Pod;
  const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((x) => x.name);
  const container = c.req.query("container") || (pod.spec.containers.length === 1 ? pod.spec.containers[0]!.name : undefined);
  if (!container) throw new TugError("BadRequest", `a container name must be specified for pod ${name}, choose one of: [${pod.spec.containers.map((x) => x.name).join(" ")}]`);
  if (!names.includes(container)) throw new TugError("BadRequest", `container ${container} is not valid for pod ${name}`);
  const query = new URLSearchParams();
  for (const p of BOOLEAN_PARAMS) {
    const v = c.req.query(p);
    if (v === undefined || v === "") continue;
    if (v !== "true" && v !== "false") throw new TugError("BadRequest", `${p}: must be true or false, not "${v}"`);
    query.set(p, v);
  }
  const tail = c.req.query("tailLines");
  if (tail !== undefined && tail !== "") {
    if (!/^-?\d+$/.test(tail)) throw new TugError("BadRequest", `tailLines: must be an integer, not "${tail}"`);
    if (Number(tail) >= 0) query.set("tailLines", tail);
  }
  const nodeName = pod.spec.nodeName;
  if (!nodeName) throw new TugError("BadRequest", `pod ${name} does not have a host assigned`);
  const endpoint = await agentEndpoint(registry, nodeName);
  const url = `${endpoint}/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${query}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: c.req.raw.signal });
  } catch (e) {
    throw new TugError("ServiceUnavailable", `the agent of node ${nodeName} is not reachable at ${endpoint}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!res.ok) {
    const text = (await res.text()).trim();
    throw new TugError(res.status === 404 ? "NotFound" : "BadRequest", text || `the agent of node ${nodeName} answered ${res.status}`);
  }
  return new Response(res.body, { headers: { "content-type": "text/plain" } });
}

async function agentEndpoint(registry: Registry, nodeName: string): Promise<string> {
  let node;
  try {
    node = await registry.get("Node", "", nodeName);
  } catch (e) {
    if (e instanceof TugError && e.code === "NotFound") throw new TugError("BadRequest", `node ${nodeName} of the pod no longer exists`);
    throw e;
  }
  const status = (node.status ?? {}) as { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  const address = status.addresses?.find((a) => a.type === "InternalIP")?.address ?? status.addresses?.find((a) => a.type === "Hostname")?.address;
  if (!port || !address) throw new TugError("ServiceUnavailable", `node ${nodeName} has no agent endpoint to read logs from`);
  return `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
}
