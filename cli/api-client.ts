// How CLI verbs reach the API: finds the kubeconfig (--kubeconfig, then
// $KUBECONFIG, then <data-dir>/admin.kubeconfig, then ~/.kube/config), trusts
// its CA, sends its token, and turns every failure into a one-line TugError
// (the server's Status message, or which server could not be reached).

import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { TugError, type ErrorCode, ERROR_CODES } from "../core/errors.ts";

export interface ApiTarget {
  server: string;
  caPem?: string;
  insecure?: boolean;
  token?: string;
  /** Which file it came from, for messages. */
  source: string;
}

interface Kubeconfig {
  "current-context"?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: { server: string; "certificate-authority-data"?: string; "certificate-authority"?: string; "insecure-skip-tls-verify"?: boolean } }[];
  users?: { name: string; user: { token?: string } }[];
}

/** The kubeconfig to use, in kubectl's order plus tug's own data dir. */
export function findKubeconfig(opts: { kubeconfig?: string; dataDir: string; env?: NodeJS.ProcessEnv }): string {
  const env = opts.env ?? process.env;
  const candidates = [opts.kubeconfig, env.KUBECONFIG?.split(":")[0], join(opts.dataDir, "admin.kubeconfig"), join(homedir(), ".kube", "config")];
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig)) throw new TugError("NotFound", `${opts.kubeconfig}: no such kubeconfig`);
    return opts.kubeconfig;
  }
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found) throw new TugError("NotFound", `no kubeconfig found: pass --kubeconfig, set $KUBECONFIG, or run on the server (${join(opts.dataDir, "admin.kubeconfig")})`);
  return found;
}

export async function loadTarget(path: string): Promise<ApiTarget> {
  const text = readFileSync(path, "utf8");
  let config: Kubeconfig;
  try {
    config = JSON.parse(text) as Kubeconfig;
  } catch {
    const { parse } = await import("yaml");
    config = parse(text) as Kubeconfig;
  }
  const ctx = config.contexts?.find((c) => c.name === config["current-context"]) ?? config.contexts?.[0];
  const cluster = config.clusters?.find((c) => c.name === ctx?.context.cluster) ?? config.clusters?.[0];
  if (!cluster) throw new TugError("BadRequest", `${path}: no cluster in the kubeconfig`);
  const user = config.users?.find((u) => u.name === ctx?.context.user);
  const c = cluster.cluster;
  const caPem = c["certificate-authority-data"]
    ? Buffer.from(c["certificate-authority-data"], "base64").toString("utf8")
    : c["certificate-authority"]
      ? readFileSync(c["certificate-authority"], "utf8")
      : undefined;
  return { server: c.server.replace(/\/+$/, ""), caPem, insecure: c["insecure-skip-tls-verify"], token: user?.user.token, source: path };
}

export class ApiClient {
  constructor(readonly target: ApiTarget) {}

  /** A JSON request; resolves with the parsed body, throws a TugError with the server's message. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
    const res = await this.raw(method, path, body, contentType);
    const text = await res.text();
    if (!res.ok) {
      let message = text.trim() || res.statusText;
      let code: ErrorCode | undefined;
      try {
        const status = JSON.parse(text) as { message?: string; reason?: string };
        message = status.message ?? message;
        if (status.reason && status.reason in ERROR_CODES) code = status.reason as ErrorCode;
      } catch {
        // not a Status: keep the text
      }
      throw new TugError(code ?? codeForStatus(res.status), message);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async raw(method: string, path: string, body?: unknown, contentType = "application/json", signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = contentType;
    if (this.target.token) headers.authorization = `Bearer ${this.target.token}`;
    try {
      return await fetch(this.target.server + path, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
        signal,
        tls: this.target.caPem ? { ca: this.target.caPem } : this.target.insecure ? { rejectUnauthorized: false } : undefined,
      });
    } catch (e) {
      throw new TugError("ServiceUnavailable", `cannot reach the server at ${this.target.server}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
    }
  }
}

function codeForStatus(status: number): ErrorCode {
  const match = Object.entries(ERROR_CODES).find(([, s]) => s === status);
  return (match?.[0] as ErrorCode | undefined) ?? "InternalError";
}

/** A client from the usual flags. */
export async function clientFrom(opts: { kubeconfig?: string; dataDir: string }): Promise<ApiClient> {
  return new ApiClient(await loadTarget(findKubeconfig(opts)));
}
