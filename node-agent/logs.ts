// A container's log as the agent serves it over the mesh: find the pod's
// worker and container, open the runtime's log, and read the first piece so that "cannot read it at all" is an error
// of the request (TugError) rather than of the stream.

import { TugError } from "../core/errors.ts";
import type { NodeAgent } from "./agent.ts";
import type { LogsRequest } from "../core/mesh/messages.ts";

/** What a log request asks for: the mesh frame without its envelope. */
export type ContainerLogsQuery = Omit<LogsRequest, "type" | "id">;

/**
 * The log's pieces, first one already read. Throws TugError NotFound (pod
 * not on this node, log unreadable) or BadRequest (no such container, not
 * started yet). Aborting `signal` ends a follow.
 */
export async function openContainerLogs(agent: NodeAgent, q: ContainerLogsQuery, signal: AbortSignal): Promise<AsyncIterableIterator<string>> {
  const worker = agent.workerOf(q.namespace, q.pod);
  if (!worker) throw new TugError("NotFound", `pod "${q.pod}" is not running on node "${agent.nodeName}"`);
  if (!worker.containerNames().includes(q.container)) throw new TugError("BadRequest", `container ${q.container} is not valid for pod ${q.pod}`);
  const id = worker.containerIdOf(q.container, q.previous);
  if (!id) {
    throw new TugError("BadRequest", q.previous ? `previous terminated container "${q.container}" in pod "${q.pod}" not found` : `container "${q.container}" in pod "${q.pod}" is waiting to start`);
  }
  const lines = agent.runtime.logs(id, worker.logPathOf(id), {
    follow: q.follow,
    timestamps: q.timestamps,
    ...(q.tailLines !== undefined ? { tailLines: q.tailLines } : {}),
    signal,
  });
  const iterator = lines[Symbol.asyncIterator]();
  let first: IteratorResult<string>;
  try {
    first = await iterator.next();
  } catch (e) {
    throw new TugError("NotFound", `logs of container ${q.container} in pod ${q.pod}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let pending: IteratorResult<string> | undefined = first;
  const out: AsyncIterableIterator<string> = {
    next: async () => {
      if (pending) {
        const r = pending;
        pending = undefined;
        return r;
      }
      return iterator.next();
    },
    return: async (value?: unknown) => {
      pending = undefined;
      await iterator.return?.(value);
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => out,
  };
  return out;
}

/** Serves a mesh logs-request from the agent's runtime (MeshLink.onLogsRequest's handler). */
export function meshLogsHandler(agent: () => NodeAgent | undefined) {
  return async (q: ContainerLogsQuery, write: (chunk: string) => void, signal: AbortSignal): Promise<void> => {
    const a = agent();
    if (!a) throw new TugError("ServiceUnavailable", "the agent is starting");
    const lines = await openContainerLogs(a, q, signal);
    try {
      for await (const piece of lines) {
        if (signal.aborted) break;
        write(piece);
      }
    } finally {
      await lines.return?.();
    }
  };
}
