// Talking to the API as the signed-in user: the session cookie goes along by
// itself (same origin); state-changing calls add the session's CSRF header.
// Live state comes from one multiplexed watch stream (/dashboard/watch).

let csrf = "";
export function setCsrf(token) {
  csrf = token;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body === "object" && body?.message ? body.message : `${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function call(method, path, body, contentType = "application/json") {
  const headers = { accept: "application/json" };
  if (method !== "GET") headers["x-tug-csrf"] = csrf;
  if (body !== undefined) headers["content-type"] = contentType;
  const init = { method, headers, credentials: "same-origin", body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) };
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    // The browser drops requests in flight when the machine's addresses change; an idempotent one is sent again.
    if (method === "POST") throw e;
    res = await fetch(path, init);
  }
  const text = await res.text();
  let data = text;
  try {
    data = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** What the dashboard keeps live; the key names a list in the store. */
export const WATCHED = {
  nodes: "/api/v1/nodes",
  pods: "/api/v1/pods",
  deployments: "/apis/apps/v1/deployments",
  replicasets: "/apis/apps/v1/replicasets",
  daemonsets: "/apis/apps/v1/daemonsets",
  statefulsets: "/apis/apps/v1/statefulsets",
  jobs: "/apis/batch/v1/jobs",
  cronjobs: "/apis/batch/v1/cronjobs",
  services: "/api/v1/services",
  endpoints: "/api/v1/endpoints",
  events: "/api/v1/events",
};

const keyOf = (o) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/**
 * A live copy of every watched list. `onChange` is called (at most once per
 * frame) after events arrive; `onStatus` with "live" | "reconnecting".
 */
export class LiveStore {
  constructor(onChange, onStatus) {
    this.names = Object.keys(WATCHED);
    this.lists = Object.fromEntries(this.names.map((n) => [n, new Map()]));
    this.errors = {};
    this.onChange = onChange;
    this.onStatus = onStatus;
    this.stopped = false;
    this.pending = false;
    this.abort = undefined;
  }

  items(name) {
    return [...this.lists[name].values()];
  }

  start() {
    void this.run();
  }

  stop() {
    this.stopped = true;
    this.abort?.abort();
  }

  changed() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.onChange();
    });
  }

  async run() {
    let delay = 500;
    while (!this.stopped) {
      this.abort = new AbortController();
      try {
        const qs = this.names.map((n) => `path=${encodeURIComponent(WATCHED[n])}`).join("&");
        const res = await fetch(`/dashboard/watch?${qs}`, { credentials: "same-origin", signal: this.abort.signal });
        if (res.status === 401) {
          this.onStatus("signed-out");
          return;
        }
        if (!res.ok || !res.body) throw new Error(`watch: ${res.status}`);
        // A new stream starts each list from its current state.
        for (const n of this.names) this.lists[n].clear();
        this.errors = {};
        this.onStatus("live");
        delay = 500;
        await this.read(res.body.getReader());
      } catch (e) {
        if (this.stopped) return;
      }
      this.onStatus("reconnecting");
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }

  async read(reader) {
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const sp = line.indexOf(" ");
        if (sp < 0) continue;
        const name = this.names[Number(line.slice(0, sp))];
        const rest = line.slice(sp + 1);
        if (!name) continue;
        // A watch timed out: start every list afresh.
        if (rest === "END") return;
        this.apply(name, JSON.parse(rest));
      }
      this.changed();
    }
  }

  apply(name, ev) {
    const list = this.lists[name];
    if (ev.type === "ADDED" || ev.type === "MODIFIED") list.set(keyOf(ev.object), ev.object);
    else if (ev.type === "DELETED") list.delete(keyOf(ev.object));
    else if (ev.type === "ERROR") this.errors[name] = ev.object?.message ?? "watch failed";
  }
}
