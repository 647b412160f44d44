// One HTTP response carrying several watches: each requested API path is
// fetched through the same app (so authentication and RBAC apply to each as
// to any client), and every line of its stream is forwarded prefixed with the
// path's index: `<i> <event JSON>`. A failed watch sends `<i> {"type":"ERROR",...}`,
// an ended one `<i> END`. Lines are passed through, never parsed.

import type { Context } from "hono";
import { TugError } from "../../core/errors.ts";

const MAX_PATHS = 16;
const WATCH_TIMEOUT_S = 1800;

function watchUrl(path: string, base: string): URL {
  if (!/^\/apis?\/[A-Za-z0-9._/-]+(\?[A-Za-z0-9._~%=&,!/-]*)?$/.test(path)) throw new TugError("BadRequest", `not an API path to watch: ${path}`);
  const url = new URL(path, base);
  url.searchParams.set("watch", "true");
  url.searchParams.set("timeoutSeconds", String(WATCH_TIMEOUT_S));
  return url;
}

export function multiplexWatches(c: Context, fetchApi: (req: Request) => Response | Promise<Response>, paths: string[]): Response {
  if (paths.length === 0 || paths.length > MAX_PATHS) throw new TugError("BadRequest", `between 1 and ${MAX_PATHS} paths to watch`);
  const urls = paths.map((p) => watchUrl(p, c.req.url));
  const headers: Record<string, string> = {};
  for (const h of ["cookie", "authorization"]) {
    const v = c.req.header(h);
    if (v) headers[h] = v;
  }
  const encoder = new TextEncoder();
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  let closed = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (s: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(s));
        } catch {
          closed = true;
        }
      };
      // Bun.serve sends the headers with the first body byte.
      send("\n");
      urls.forEach((url, i) => {
        void (async () => {
          const res = await fetchApi(new Request(url.href, { headers }));
          if (res.status !== 200 || !res.body) {
            send(`${i} {"type":"ERROR","object":${(await res.text()).trim() || "{}"}}\n`);
            return;
          }
          const reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
          readers.push(reader);
          const decoder = new TextDecoder();
          let buf = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done || closed) break;
            buf += decoder.decode(value, { stream: true });
            let nl: number;
            let out = "";
            while ((nl = buf.indexOf("\n")) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              out += line.trim() ? `${i} ${line}\n` : "\n";
            }
            if (out) send(out);
          }
          if (closed) await reader.cancel().catch(() => undefined);
          send(`${i} END\n`);
        })().catch((e) => send(`${i} {"type":"ERROR","object":{"kind":"Status","message":${JSON.stringify(String(e))}}}\n`));
      });
    },
    cancel() {
      closed = true;
      for (const r of readers) void r.cancel().catch(() => undefined);
    },
  });
  return new Response(stream, { headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" } });
}
