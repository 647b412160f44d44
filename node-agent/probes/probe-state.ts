// The Kubernetes probe arithmetic, pure: when a probe runs next and how one
// more result moves its state. Time comes in as data (ms since the epoch), so
// the table tests need no clock. The timers and the I/O live in
// container-probes.ts and probe-runner.ts.

import type { IntOrString } from "../../core/resources/meta.ts";

/**
 * The Kubernetes `Probe` object as the agent reads it. Structural, with every
 * timing optional, so both the parsed `core/resources` Probe (defaults filled)
 * and a raw manifest fragment fit.
 */
export interface ProbeSpec {
  exec?: { command?: string[] };
  httpGet?: {
    path?: string;
    port: IntOrString;
    host?: string;
    scheme?: "HTTP" | "HTTPS";
    httpHeaders?: { name: string; value: string }[];
  };
  tcpSocket?: { port: IntOrString; host?: string };
  grpc?: { port: number; service?: string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export type ProbeResult = "unknown" | "success" | "failure";

export interface ProbeState {
  /** The result the probe reports; it flips only once a threshold is reached. */
  result: ProbeResult;
  /** Consecutive successful runs (0 after a failure). */
  successes: number;
  /** Consecutive failed runs (0 after a success). */
  failures: number;
  /** When the last recorded run began (ms); the period is measured start to start, like kubelet's ticker. */
  lastRunAt?: number;
}

export const INITIAL_PROBE_STATE: ProbeState = { result: "unknown", successes: 0, failures: 0 };

export interface ProbeTimings {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

// SetDefaults_Probe: a missing or zero value takes the default (initialDelay's default is 0 anyway).
function positiveOr(v: number | undefined, fallback: number): number {
  return v === undefined || !(v > 0) ? fallback : v;
}

/** The spec's timings with Kubernetes' defaults applied. */
export function probeTimings(spec: ProbeSpec): ProbeTimings {
  return {
    initialDelaySeconds: Math.max(0, spec.initialDelaySeconds ?? 0),
    periodSeconds: positiveOr(spec.periodSeconds, 10),
    timeoutSeconds: positiveOr(spec.timeoutSeconds, 1),
    successThreshold: positiveOr(spec.successThreshold, 1),
    failureThreshold: positiveOr(spec.failureThreshold, 3),
  };
}

/**
 * When the probe should run next (ms): `startedAt + initialDelay` for the first
 * run, then one period after the last run began, never before the initial delay
 * is over. A time in the past means "now".
 */
export function nextProbeAt(spec: ProbeSpec, state: ProbeState, startedAt: number): number {
  const t = probeTimings(spec);
  const firstAt = startedAt + t.initialDelaySeconds * 1000;
  if (state.lastRunAt === undefined) return firstAt;
  return Math.max(firstAt, state.lastRunAt + t.periodSeconds * 1000);
}

/**
 * The state after one more run that began at `now`. Like kubelet's worker, a
 * run of `successThreshold` successes (or `failureThreshold` failures) in a row
 * is needed before the result changes; until then the previous result stands.
 */
export function recordResult(spec: ProbeSpec, state: ProbeState, ok: boolean, now: number): ProbeState {
  const t = probeTimings(spec);
  if (ok) {
    const successes = state.successes + 1;
    return { result: successes >= t.successThreshold ? "success" : state.result, successes, failures: 0, lastRunAt: now };
  }
  const failures = state.failures + 1;
  return { result: failures >= t.failureThreshold ? "failure" : state.result, successes: 0, failures, lastRunAt: now };
}
