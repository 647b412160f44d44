// The probes of one running container, with kubelet's rules: while a startup
// probe has not succeeded, liveness and readiness do not run and the container
// is not started; startup or liveness reaching their failure threshold is
// reported once (the agent restarts the container and makes a new
// ContainerProbes); readiness decides `ready`. One timer per probe, and each
// run is awaited before the next is scheduled, so runs of a probe never overlap.

import type { ProbeOutcome, ProbeTarget } from "./probe-runner.ts";
import { runProbe } from "./probe-runner.ts";
import type { ProbeSpec, ProbeState } from "./probe-state.ts";
import { INITIAL_PROBE_STATE, nextProbeAt, recordResult } from "./probe-state.ts";

export type ProbeKind = "startup" | "liveness" | "readiness";

const KIND_NAME: Record<ProbeKind, string> = { startup: "Startup", liveness: "Liveness", readiness: "Readiness" };

export interface ContainerProbeStatus {
  /** False while a startup probe exists and has not succeeded (kubelet's `started`). */
  started: boolean;
  /** Started, and the readiness probe (if any) succeeds. */
  ready: boolean;
  /** The liveness probe failed failureThreshold times: restart the container. */
  livenessFailed: boolean;
  /** The startup probe failed failureThreshold times: restart the container. */
  startupFailed: boolean;
  /** Why the last probe result flipped to failure, e.g. "Readiness probe failed: HTTP probe failed with statuscode: 500". */
  message?: string;
}

export interface ContainerProbesOptions {
  probes: { liveness?: ProbeSpec; readiness?: ProbeSpec; startup?: ProbeSpec };
  /** When the container started (ms); initialDelaySeconds counts from here. */
  startedAt: number;
  target: ProbeTarget;
  now: () => number;
  /** Called by start() with the initial status, then on every change. Must not throw (a throw goes to onError). */
  onChange: (status: ContainerProbeStatus) => void;
  /** Told of every failed probe run, e.g. "Liveness probe failed: ..." (kubelet's Unhealthy event). */
  onFailure?: (message: string) => void;
  /** Where an exception from onChange goes; console.error by default. */
  onError?: (err: unknown) => void;
}

export class ContainerProbes {
  private readonly opts: ContainerProbesOptions;
  private readonly states: Record<ProbeKind, ProbeState> = {
    startup: INITIAL_PROBE_STATE,
    liveness: INITIAL_PROBE_STATE,
    readiness: INITIAL_PROBE_STATE,
  };
  private readonly timers = new Map<ProbeKind, ReturnType<typeof setTimeout>>();
  private phase: "new" | "running" | "stopped" = "new";
  private current: ContainerProbeStatus;

  constructor(opts: ContainerProbesOptions) {
    this.opts = opts;
    const started = !opts.probes.startup;
    this.current = { started, ready: started && !opts.probes.readiness, livenessFailed: false, startupFailed: false };
  }

  /** The latest status (a copy). */
  get status(): ContainerProbeStatus {
    return { ...this.current };
  }

  /** Reports the initial status and starts the probe timers. A second call does nothing. */
  start(): void {
    if (this.phase !== "new") return;
    this.phase = "running";
    this.emit();
    if (this.opts.probes.startup) this.schedule("startup");
    else this.startAfterStartup();
  }

  /** Clears every timer; a run in flight finishes but its result is dropped. Idempotent. */
  stop(): void {
    this.phase = "stopped";
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private startAfterStartup(): void {
    this.schedule("liveness");
    this.schedule("readiness");
  }

  private schedule(kind: ProbeKind): void {
    const spec = this.opts.probes[kind];
    if (!spec || this.phase !== "running" || this.timers.has(kind)) return;
    const delay = Math.max(0, nextProbeAt(spec, this.states[kind], this.opts.startedAt) - this.opts.now());
    this.timers.set(
      kind,
      setTimeout(() => void this.tick(kind, spec), delay),
    );
  }

  private async tick(kind: ProbeKind, spec: ProbeSpec): Promise<void> {
    this.timers.delete(kind);
    if (this.phase !== "running") return;
    const began = this.opts.now();
    let outcome: ProbeOutcome;
    try {
      outcome = await runProbe(spec, this.opts.target);
    } catch (e) {
      // runProbe promises not to reject; if it ever does, that is a failed run, not a dead loop.
      outcome = { ok: false, message: `probe error: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (this.phase !== "running") return;
    const before = this.states[kind].result;
    const state = recordResult(spec, this.states[kind], outcome.ok, began);
    this.states[kind] = state;
    const flipped = state.result !== before;
    const failedMessage = `${KIND_NAME[kind]} probe failed: ${outcome.message}`;
    if (!outcome.ok) this.opts.onFailure?.(failedMessage);

    switch (kind) {
      case "startup":
        if (state.result === "success") {
          this.update({ started: true, ready: !this.opts.probes.readiness });
          this.startAfterStartup();
        } else if (state.result === "failure") {
          this.update({ startupFailed: true, message: failedMessage });
        } else this.schedule(kind);
        return; // a startup probe stops once it has an outcome either way
      case "liveness":
        if (state.result === "failure") {
          // kubelet holds a failed liveness probe until the container is replaced.
          this.update({ livenessFailed: true, message: failedMessage });
          return;
        }
        this.schedule(kind);
        return;
      case "readiness":
        if (flipped) {
          const ready = state.result === "success";
          this.update(ready ? { ready, message: undefined } : { ready, message: failedMessage });
        }
        this.schedule(kind);
        return;
    }
  }

  private update(change: Partial<ContainerProbeStatus>): void {
    const next: ContainerProbeStatus = { ...this.current, ...change };
    if (next.message === undefined) delete next.message;
    const same =
      next.started === this.current.started &&
      next.ready === this.current.ready &&
      next.livenessFailed === this.current.livenessFailed &&
      next.startupFailed === this.current.startupFailed &&
      next.message === this.current.message;
    this.current = next;
    if (!same) this.emit();
  }

  private emit(): void {
    try {
      this.opts.onChange(this.status);
    } catch (e) {
      (this.opts.onError ?? console.error)(e);
    }
  }
}

/** The probe-related fields of a container spec. */
export interface ProbedContainer {
  livenessProbe?: ProbeSpec;
  readinessProbe?: ProbeSpec;
  startupProbe?: ProbeSpec;
  ports?: { name?: string; containerPort: number }[];
}

/**
 * Started probes for one running attempt of container spec `c`, or undefined
 * when it declares none. Named ports (httpGet/tcpSocket `port: "http"`)
 * resolve through the container's ports, as kubelet does.
 */
export function startContainerProbes(
  c: ProbedContainer,
  run: { startedAt: number; podIP: string; exec: ProbeTarget["exec"]; now: () => number; onChange: (s: ContainerProbeStatus) => void; onFailure?: (message: string) => void },
): ContainerProbes | undefined {
  if (!c.livenessProbe && !c.readinessProbe && !c.startupProbe) return undefined;
  const ports = new Map((c.ports ?? []).filter((p) => p.name).map((p) => [p.name!, p.containerPort]));
  const probes = new ContainerProbes({
    probes: { liveness: c.livenessProbe, readiness: c.readinessProbe, startup: c.startupProbe },
    startedAt: run.startedAt,
    target: { podIP: run.podIP, exec: run.exec, resolvePort: (p: string | number) => (typeof p === "number" ? p : (ports.get(p) ?? Number(p))) },
    now: run.now,
    onChange: run.onChange,
    onFailure: run.onFailure,
  });
  probes.start();
  return probes;
}
