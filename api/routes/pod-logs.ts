// GET .../pods/NAME/log: the server finds the pod's node and relays the
// request to that node's agent over its mesh connection,
// streaming the answer back. Parameters as kubectl sends them: container,
// follow, previous, tailLines, timestamps.

import type { Context } from "hono";
import { TugError } from "../../core/errors.ts";
import type { Registry } from "../../core/registry/registry.ts";
import type { Pod } from "../../core/resources/pod.ts";
import type { LogsRequest } from "../../core/mesh/messages.ts";

const BOOLEAN_PARAMS = ["follow", "previous", "timestamps"] as const;

/** Relays a log request to an agent connected over the mesh (undefined: that node has no mesh session). */
export interface LogRelay {
  logs(node: string, req: Omit<LogsRequest, "type" | "id">, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> | undefined;
}

export async function podLogs(c: Context, registry: Registry, namespace: string, name: string, relay?: LogRelay): Promise<Response> {
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
  const viaMesh = relay?.logs(
    nodeName,
    {
      namespace,
      pod: name,
      container,
      follow: query.get("follow") === "true",
      previous: query.get("previous") === "true",
      timestamps: query.get("timestamps") === "true",
      ...(query.has("tailLines") ? { tailLines: Number(query.get("tailLines")) } : {}),
    },
    c.req.raw.signal,
  );
  if (!viaMesh) throw new TugError("ServiceUnavailable", `the agent of node ${nodeName} is not connected`);
  return new Response(await viaMesh, { headers: { "content-type": "text/plain" } });
}
