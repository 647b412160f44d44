// A real tug server for tests: LMDB in a temporary directory, Bun.serve on a
// free loopback port, composed exactly as `tug server` composes it.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type RunningServer, type ServerOptions } from "../../cli/server.ts";
import { endTerminatingPods } from "../support.ts";

export interface TestServer extends RunningServer {
  dataDir: string;
  /** fetch against the server as the admin (its CA trusted, its token sent); `path` is relative to the URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** JSON request; returns status, parsed body and headers. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  cleanup(): Promise<void>;
}

export async function startTestServer(
  dataDir = mkdtempSync(join(tmpdir(), "tug-api-")),
  opts: Pick<ServerOptions, "nodeGracePeriodMs" | "defaultTolerationSeconds" | "disableControllerManager" | "disableScheduler"> & {
    /** Its nodes are made up (no agents): pods marked for deletion end at once, as if their agent confirmed. */
    madeUpNodes?: boolean;
  } = {},
): Promise<TestServer> {
  const { madeUpNodes, ...serverOpts } = opts;
  const server = await startServer({ dataDir, bind: "127.0.0.1", port: 0, watchTiming: { keepaliveMs: 15_000, bookmarkMs: 200 }, ...serverOpts });
  if (madeUpNodes) endTerminatingPods(server.informer, server.registry);
  const authedFetch = (path: string, init: RequestInit = {}) =>
    fetch(server.url + path, { ...init, headers: { authorization: `Bearer ${server.adminToken}`, ...(init.headers as Record<string, string>) }, tls: { ca: server.caPem } });
  return {
    ...server,
    dataDir,
    fetch: authedFetch,
    async call(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { "content-type": "application/json", ...headers } };
      if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
      const res = await authedFetch(path, init);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async cleanup() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Reads newline-delimited watch events from a streaming response. */
export function watchReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const events: any[] = [];
  let done = false;
  const pump = (async () => {
    for (;;) {
      const { value, done: d } = await reader.read();
      if (d) break;
      buf += decoder.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) events.push(JSON.parse(line));
      }
    }
    done = true;
  })().catch(() => {
    done = true;
  });
  return {
    events,
    get done() {
      return done;
    },
    /** Waits until at least n events arrived (or the stream ended). */
    async next(n: number, timeoutMs = 5000): Promise<any[]> {
      const end = Date.now() + timeoutMs;
      while (events.length < n && !done && Date.now() < end) await Bun.sleep(5);
      return events;
    },
    async cancel() {
      await reader.cancel().catch(() => {});
      await pump;
    },
  };
}
