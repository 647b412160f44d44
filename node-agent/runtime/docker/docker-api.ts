// A tiny typed client for the Docker Engine API (v1.41) over its unix socket.
// It knows HTTP and Docker's error shapes, nothing about pods: every failure is
// a DockerApiError carrying the method, the path and Docker's own message, and
// an unreachable daemon is a RuntimeError(RuntimeUnavailable).

import { RuntimeError } from "../runtime.ts";

export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";
const API_VERSION = "v1.41";

export class DockerApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** Docker's message, on one line. */
    readonly dockerMessage: string,
  ) {
    super(`${method} ${path}: ${status} ${dockerMessage}`);
    this.name = "DockerApiError";
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is (e.g. an image tar); wins over `json`. */
  body?: Blob;
  signal?: AbortSignal;
  /** Statuses that are answers rather than errors (e.g. 404 for "is it there?", 304 for "already stopped"). */
  accept?: number[];
}

/** One line of Docker's progress streams (pull, load). */
export interface JsonMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

export class DockerApi {
  constructor(readonly socketPath: string = DEFAULT_DOCKER_SOCKET) {}

  /** The raw response; non-2xx statuses outside `accept` throw DockerApiError. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = `http://docker/${API_VERSION}${path}${queryString(opts.query)}`;
    const headers: Record<string, string> = {};
    let body: Blob | string | undefined;
    if (opts.body !== undefined) {
      body = opts.body;
      headers["Content-Type"] = "application/x-tar";
    } else if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["Content-Type"] = "application/json";
    }
    let res: Response;
    try {
      // timeout: false: stop?t=N, follow and exec streams legitimately take long; callers pass a signal instead.
      res = await fetch(url, { method, headers, body, unix: this.socketPath, signal: opts.signal, timeout: false });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw new RuntimeError(
        "RuntimeUnavailable",
        `Docker is not running at ${this.socketPath} (apt-get install docker.io)`,
        `${method} ${path}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    if (res.ok || opts.accept?.includes(res.status)) return res;
    throw new DockerApiError(method, path, res.status, dockerMessage(await res.text(), res.status));
  }

  /** The parsed JSON body (the type is what the Engine API documents for the path). */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    return (await res.json()) as T;
  }

  /** For calls whose body does not matter; returns the status (useful with `accept`). */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<number> {
    const res = await this.request(method, path, opts);
    await res.arrayBuffer();
    return res.status;
  }

  /**
   * Reads a progress stream (pull, load) to its end. Docker answers 200 and reports
   * failures inside the body, so an `error` line becomes a DockerApiError here.
   */
  async progress(method: string, path: string, opts: RequestOptions = {}): Promise<JsonMessage[]> {
    const res = await this.request(method, path, opts);
    const text = await res.text();
    const messages: JsonMessage[] = [];
    for (const line of text.split(/\r?\n/)) {
      if (!line.trim()) continue;
      let msg: JsonMessage;
      try {
        msg = JSON.parse(line) as JsonMessage;
      } catch {
        throw new DockerApiError(method, path, res.status, `unreadable progress line: ${oneLine(line)}`);
      }
      const err = msg.errorDetail?.message ?? msg.error;
      if (err) throw new DockerApiError(method, path, res.status, oneLine(err));
      messages.push(msg);
    }
    return messages;
  }
}

/** True when `e` is Docker saying "no such container/image/exec". */
export function isNotFound(e: unknown): boolean {
  return e instanceof DockerApiError && e.status === 404;
}

function queryString(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : "";
}

function dockerMessage(text: string, status: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") return oneLine(parsed.message);
  } catch {
    // Not JSON: some proxies and old daemons answer plain text; use it as is.
  }
  return oneLine(text) || `HTTP ${status}`;
}

export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

/** `filters=` value for label matching (every entry must match). */
export function labelFilter(labels: Record<string, string>): string {
  return JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) });
}
