// A watch as an HTTP response: newline-delimited JSON events, started with a
// lone "\n" because Bun.serve sends no headers before the first body byte
// (K8S-API.md §5), kept alive with blank lines, closed on timeoutSeconds.

import { TugError } from "../core/errors.ts";
import { apiVersionOf, type KindName } from "../core/resources/kinds.ts";
import type { Registry, WatchQuery } from "../core/registry/registry.ts";
import type { StoreEvent, Watch } from "../core/store/store.ts";
import type { KubeObject } from "../core/resources/object.ts";
import { statusOf } from "./status.ts";

export interface WatchRequest extends WatchQuery {
  /** The raw resourceVersion parameter: unset or "0" starts with the current state. */
  resourceVersion?: string;
  allowWatchBookmarks: boolean;
  timeoutSeconds: number;
  /** What each event's object becomes on the wire (a one-row Table for kubectl get -w); the object itself by default. */
  encode?: (type: string, object: KubeObject) => unknown;
}

export interface WatchTiming {
  /** Blank lines keep idle streams alive (client-node gives up after 30 s of silence). */
  keepaliveMs: number;
  bookmarkMs: number;
}

export const DEFAULT_WATCH_TIMING: WatchTiming = { keepaliveMs: 15_000, bookmarkMs: 10_000 };

function parseRV(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new TugError("BadRequest", `invalid resource version: "${raw}"`);
  return Number(raw);
}

export function watchResponse(registry: Registry, kind: KindName, req: WatchRequest, timing: WatchTiming = DEFAULT_WATCH_TIMING): Response {
  const encoder = new TextEncoder();
  // Selector errors must become a 400 before the stream starts.
  registry.filterFor(kind, req);
  const fromRV = req.resourceVersion && req.resourceVersion !== "0" ? parseRV(req.resourceVersion) : undefined;

  let watch: Watch | undefined;
  let timers: ReturnType<typeof setInterval>[] = [];
  let closed = false;
  const cleanup = () => {
    closed = true;
    watch?.stop();
    for (const t of timers) clearInterval(t);
    timers = [];
  };

  const stream = new ReadableStream<Uint8Array>({
    start: async (controller) => {
      let lastRV = fromRV ?? 0;
      const send = (line: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(line));
        } catch {
          cleanup();
        }
      };
      const finish = () => {
        if (closed) return;
        cleanup();
        controller.close();
      };
      const encode = req.encode ?? ((_type: string, object: KubeObject) => object);
      const event = (type: string, object: KubeObject) => `${JSON.stringify({ type, object: encode(type, object) })}\n`;
      const sendEvent = (ev: StoreEvent) => {
        lastRV = ev.rv;
        send(event(ev.type, ev.object));
      };
      send("\n");
      try {
        let from = fromRV;
        if (from === undefined) {
          const current = await registry.list(kind, req);
          for (const object of current.items) send(event("ADDED", object));
          from = current.resourceVersion;
          lastRV = from;
        }
        if (closed) return;
        watch = registry.watch(kind, { ...req, fromRV: from }, sendEvent);
      } catch (e) {
        if (e instanceof TugError && (e.code === "Expired" || e.code === "Gone")) {
          send(`${JSON.stringify({ type: "ERROR", object: statusOf(e) })}\n`);
          finish();
          return;
        }
        throw e;
      }
      timers.push(setInterval(() => send("\n"), timing.keepaliveMs));
      if (req.allowWatchBookmarks) {
        const apiVersion = apiVersionOf(kind);
        timers.push(
          setInterval(() => send(`${JSON.stringify({ type: "BOOKMARK", object: { kind, apiVersion, metadata: { resourceVersion: String(Math.max(lastRV, registry.store.currentRV())) } } })}\n`), timing.bookmarkMs),
        );
      }
      const timeout = setTimeout(finish, req.timeoutSeconds * 1000);
      timers.push(timeout as unknown as ReturnType<typeof setInterval>);
    },
    cancel: cleanup,
  });
  return new Response(stream, {
    headers: { "content-type": "application/json", "cache-control": "no-cache, private", "transfer-encoding": "chunked" },
  });
}
