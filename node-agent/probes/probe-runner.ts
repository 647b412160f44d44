// Runs one probe once against a running container: exec through the runtime,
// httpGet with fetch, tcpSocket with a bare connect. A failing probe is a
// result, never an exception: whatever goes wrong comes back as
// `{ ok: false, message }`, the message kubelet would put in its event.

import { connect, isIP } from "node:net";
import type { IntOrString } from "../../core/resources/meta.ts";
import type { ProbeSpec } from "./probe-state.ts";
import { probeTimings } from "./probe-state.ts";

export interface ProbeTarget {
  /** The pod's IP: the default host of httpGet and tcpSocket probes. */
  podIP: string;
  /** Run argv in the container; resolves with the exit code (the runtime enforces the timeout, or rejects). */
  exec: (argv: string[], timeoutMs: number) => Promise<{ exitCode: number; output: string }>;
  /** A probe's port (number, or the name of one of the container's ports) to a port number; undefined when unknown. */
  resolvePort: (port: IntOrString) => number | undefined;
}

export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

/** kubelet keeps at most this much of a probe's output or body for its message. */
const MAX_MESSAGE = 1024;

/**
 * kubelet's port rule (probe.ResolveContainerPort): a number is itself; a
 * string is the name of a container port, else a number written as a string.
 */
export function containerPortResolver(ports: readonly { name?: string; containerPort: number }[] = []): ProbeTarget["resolvePort"] {
  return (port) => {
    if (typeof port === "number") return port;
    const named = ports.find((p) => p.name === port);
    if (named) return named.containerPort;
    return /^[0-9]+$/.test(port) ? Number(port) : undefined;
  };
}

/** Runs `probe` once. Never rejects. */
export async function runProbe(probe: ProbeSpec, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = probeTimings(probe).timeoutSeconds * 1000;
  try {
    if (probe.exec) return await runExec(probe.exec.command ?? [], target, timeoutMs);
    if (probe.httpGet) return await runHttpGet(probe.httpGet, target, timeoutMs);
    if (probe.tcpSocket) return await runTcpSocket(probe.tcpSocket, target, timeoutMs);
    if (probe.grpc) return { ok: false, message: "grpc probes are not supported by tug" };
    return { ok: false, message: "probe has no handler (exec, httpGet or tcpSocket)" };
  } catch (e) {
    return { ok: false, message: `probe error: ${errorText(e)}` };
  }
}

async function runExec(argv: string[], target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (argv.length === 0) return { ok: false, message: "exec probe has no command" };
  // The runtime should stop the command at the timeout itself; this guard only
  // keeps a hung runtime call from stalling the probe loop.
  let late: Awaited<ReturnType<ProbeTarget["exec"]>> | typeof TIMED_OUT;
  try {
    late = await withTimeout(target.exec(argv, timeoutMs), timeoutMs + 1000);
  } catch (e) {
    return { ok: false, message: `exec failed: ${errorText(e)}` };
  }
  if (late === TIMED_OUT) return { ok: false, message: `command timed out after ${timeoutMs / 1000}s` };
  const { exitCode, output } = late;
  const text = clip(output.trimEnd());
  if (exitCode === 0) return { ok: true, message: text };
  return { ok: false, message: text ? `exit code ${exitCode}: ${text}` : `exit code ${exitCode}` };
}

function resolvePort(port: IntOrString, target: ProbeTarget): number | string {
  const n = target.resolvePort(port);
  if (n === undefined) return `port ${JSON.stringify(port)} is not one of the container's ports`;
  if (!Number.isInteger(n) || n < 1 || n > 65535) return `invalid port ${n}`;
  return n;
}

function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

async function runHttpGet(get: NonNullable<ProbeSpec["httpGet"]>, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolvePort(get.port, target);
  if (typeof port === "string") return { ok: false, message: port };
  const scheme = get.scheme === "HTTPS" ? "https" : "http";
  const rawPath = get.path ?? "/";
  const path = rawPath.startsWith("/") ? rawPath : `/${rawPath}`;
  const url = `${scheme}://${hostPort(get.host || target.podIP, port)}${path}`;

  // kubelet's defaults, which the probe's own headers may override (Host too).
  const headers = new Headers({ "User-Agent": "kube-probe/tug", Accept: "*/*" });
  for (const h of get.httpHeaders ?? []) headers.set(h.name, h.value);

  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      headers,
      signal,
      // Redirects are not followed: a 3xx counts as success, as kubelet does for one to another host.
      redirect: "manual",
      // A probe goes straight to the pod, never through an HTTP_PROXY from the agent's environment.
      proxy: false,
      keepalive: false,
      tls: { rejectUnauthorized: false },
    });
  } catch (e) {
    if (signal.aborted) return { ok: false, message: `Get "${url}": timed out after ${timeoutMs / 1000}s` };
    return { ok: false, message: `Get "${url}": ${errorText(e)}` };
  }
  const body = await readPrefix(res, MAX_MESSAGE).catch((e: unknown) => `(body unreadable: ${errorText(e)})`);
  if (res.status >= 200 && res.status < 400) return { ok: true, message: body };
  return { ok: false, message: `HTTP probe failed with statuscode: ${res.status}` };
}

/** Up to `max` bytes of the body as text; the rest is not read. */
async function readPrefix(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined); // the connection is closed anyway; nothing to report
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, max));
}

function runTcpSocket(tcp: NonNullable<ProbeSpec["tcpSocket"]>, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolvePort(tcp.port, target);
  if (typeof port === "string") return Promise.resolve({ ok: false, message: port });
  const host = tcp.host || target.podIP;
  const where = hostPort(host, port);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (outcome: ProbeOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, message: `dial tcp ${where}: timed out after ${timeoutMs / 1000}s` }), timeoutMs);
    socket.once("connect", () => finish({ ok: true, message: "" }));
    socket.once("error", (e) => finish({ ok: false, message: `dial tcp ${where}: ${errorText(e)}` }));
  });
}

const TIMED_OUT = Symbol("timed out");

/** The promise's value, or TIMED_OUT; a late rejection is observed so it is never unhandled. */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
    p.catch(() => undefined); // already reported through the race, or too late to matter
  }
}

function clip(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}...` : s;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return "code" in e && typeof e.code === "string" && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message;
  return String(e);
}
