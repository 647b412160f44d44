// Reads a watch (`?watch=true`) as an async stream of events, one JSON object
// per line; blank keep-alive lines are skipped. The caller stops it with the
// AbortSignal (or by leaving the for-await loop).

import { TugError } from "../core/errors.ts";
import type { KubeObject } from "../core/resources/object.ts";
import type { ApiClient } from "./api-client.ts";

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject;
}

export async function* watchEvents(client: ApiClient, path: string, signal?: AbortSignal): AsyncGenerator<WatchEvent> {
  let res: Response;
  try {
    res = await client.raw("GET", path, undefined, "application/json", signal);
  } catch (e) {
    if (signal?.aborted) return;
    throw e;
  }
  if (!res.ok) {
    const text = await res.text();
    let message = text.trim() || res.statusText;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not a Status
    }
    throw new TugError("BadRequest", message);
  }
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buf = "";
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) yield JSON.parse(line) as WatchEvent;
      }
    }
  } catch (e) {
    if (signal?.aborted) return;
    throw e;
  } finally {
    await reader.cancel().catch(() => {});
  }
}
