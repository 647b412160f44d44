// The agent's own HTTP endpoint (kubelet's port): the server relays
// `kubectl logs` here (GET /containerLogs/NS/POD/CONTAINER). Until the mesh
// lands it is plain HTTP; the mesh will carry the same requests.

import type { NodeAgent } from "./agent.ts";

export interface KubeletServer {
  port: number;
  stop(): Promise<void>;
}

/** Starts listening before the agent exists (the Node it registers names the port); `agent` is read per request. */
export function startKubeletServer(agent: () => NodeAgent | undefined, opts: { port: number; hostname?: string }): KubeletServer {
  const server = Bun.serve({
    port: opts.port,
    hostname: opts.hostname ?? "0.0.0.0",
    idleTimeout: 0,
    fetch: (req) => {
      const a = agent();
      return a ? handle(a, req) : text(503, "the agent is starting");
    },
  });
  return { port: server.port!, stop: async () => void server.stop(true) };
}

async function handle(agent: NodeAgent, req: Request): Promise<Response> {
  const url = new URL(req.url);
  if (url.pathname === "/healthz") return new Response("ok");
  const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
  if (!m || req.method !== "GET") return text(404, "not found");
  const [ns, pod, container] = m.slice(1).map(decodeURIComponent) as [string, string, string];
  const worker = agent.workerOf(ns, pod);
  if (!worker) return text(404, `pod "${pod}" is not running on node "${agent.nodeName}"`);
  if (!worker.containerNames().includes(container)) return text(400, `container ${container} is not valid for pod ${pod}`);
  const previous = url.searchParams.get("previous") === "true";
  const id = worker.containerIdOf(container, previous);
  if (!id) {
    return text(400, previous ? `previous terminated container "${container}" in pod "${pod}" not found` : `container "${container}" in pod "${pod}" is waiting to start`);
  }
  const tail = url.searchParams.get("tailLines");
  const lines = agent.runtime.logs(id, worker.logPathOf(id), {
    follow: url.searchParams.get("follow") === "true",
    timestamps: url.searchParams.get("timestamps") === "true",
    ...(tail !== null && /^\d+$/.test(tail) ? { tailLines: Number(tail) } : {}),
    signal: req.signal,
  });
  const encoder = new TextEncoder();
  const iterator = lines[Symbol.asyncIterator]();
  // The first read answers with an error status when the logs cannot be read at all.
  let first: IteratorResult<string>;
  try {
    first = await iterator.next();
  } catch (e) {
    return text(404, `logs of container ${container} in pod ${pod}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const body = new ReadableStream<Uint8Array>({
    start(ctrl) {
      if (first.done) ctrl.close();
      else ctrl.enqueue(encoder.encode(first.value));
    },
    async pull(ctrl) {
      try {
        const { value, done } = await iterator.next();
        if (done) ctrl.close();
        else ctrl.enqueue(encoder.encode(value));
      } catch (e) {
        ctrl.error(e);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } });
}

function text(status: number, message: string): Response {
  return new Response(message, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}
