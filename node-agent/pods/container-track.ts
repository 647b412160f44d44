// What the pod worker remembers about one container of a pod (its Track),
// and the Kubernetes state it shows for it (pure): running, waiting with a
// reason, or terminated with exit code and reason; lastState and restartCount.

import type { Pod } from "../../core/resources/pod.ts";
import type { ContainerProbes } from "../probes/container-probes.ts";
import type { ContainerState } from "../runtime/runtime.ts";
import type { ContainerView } from "./pod-status.ts";

type Container = Pod["spec"]["containers"][number];
type K8sState = ContainerView["state"];

export interface Track {
  /** Latest attempt started (-1: never). Attempt n is the n-th restart. */
  attempt: number;
  /** A start that failed before anything ran (ContainerCannotRun), kept as the attempt's result. */
  failedStart?: { attempt: number; terminated: NonNullable<K8sState["terminated"]> };
  waiting?: { reason: string; message?: string };
  imagePullFailures: number;
  imageRetryAt: number;
  probes?: ContainerProbes;
  probesFor?: string;
  /** `failed`: liveness or startup reached its threshold; `why` says which, for the Killing event. */
  probe: { started: boolean; ready: boolean; failed: boolean; why?: string };
  stopping?: string;
  /** When the worker first saw the latest attempt exited (runtimes without finishedAt). */
  exitSeenAt?: number;
}

export function newTrack(): Track {
  return { attempt: -1, imagePullFailures: 0, imageRetryAt: 0, probe: { started: false, ready: false, failed: false } };
}

export interface StateContext {
  now: number;
  /** `containerd` or `docker`: the scheme of container ids. */
  runtimeName: string;
}

const runtimeId = (ctx: StateContext, id: string) => `${ctx.runtimeName}://${id}`;

/** The terminated state of the track's latest attempt, or undefined while it has not run yet. */
export function terminatedStateOf(t: Track, latest: ContainerState | undefined, ctx: StateContext): NonNullable<K8sState["terminated"]> | undefined {
  if (t.failedStart?.attempt === t.attempt) return t.failedStart.terminated;
  if (!latest) {
    // The attempt vanished (removed behind our back, or lost with a reboot): it ended unseen.
    return { exitCode: 255, reason: "Unknown", message: "the container is gone from the runtime", finishedAt: new Date(t.exitSeenAt ?? ctx.now).toISOString() };
  }
  if (latest.state === "created" && t.stopping !== latest.id && !latest.finishedAt) {
    // Created but never started (e.g. after a reboot the task is gone): count it as ended.
    return { exitCode: 255, reason: "Unknown", message: "the container is not running", containerID: runtimeId(ctx, latest.id) };
  }
  const exitCode = latest.exitCode ?? 255;
  return {
    exitCode,
    reason: latest.oomKilled ? "OOMKilled" : exitCode === 0 ? "Completed" : "Error",
    ...(latest.message ? { message: latest.message } : {}),
    ...(latest.startedAt ? { startedAt: latest.startedAt } : {}),
    ...(latest.finishedAt ? { finishedAt: latest.finishedAt } : {}),
    containerID: runtimeId(ctx, latest.id),
  };
}

export interface ViewContext extends StateContext {
  init: boolean;
  initDone: boolean;
  podError: { reason: string; message: string } | undefined;
  startTime: string;
}

/** The container's status entry, from its track and the attempts the runtime has (by attempt number). */
export function containerViewOf(c: Container, t: Track, attempts: Map<number, ContainerState> | undefined, ctx: ViewContext): ContainerView {
  const latest = t.attempt >= 0 ? attempts?.get(t.attempt) : undefined;
  const previous = t.attempt >= 1 ? attempts?.get(t.attempt - 1) : undefined;
  const lastTerminated = previous ? terminatedStateOf({ ...t, attempt: t.attempt - 1 }, previous, ctx) : undefined;
  let state: K8sState;
  if (latest?.state === "running") state = { running: { startedAt: latest.startedAt ?? ctx.startTime } };
  else if (t.waiting) state = { waiting: { reason: t.waiting.reason, ...(t.waiting.message ? { message: t.waiting.message } : {}) } };
  else if (t.attempt >= 0 && (latest || t.failedStart?.attempt === t.attempt)) state = { terminated: terminatedStateOf(t, latest, ctx)! };
  else if (ctx.podError) state = { waiting: { reason: ctx.podError.reason, message: ctx.podError.message } };
  else state = { waiting: { reason: ctx.init || ctx.initDone ? "ContainerCreating" : "PodInitializing" } };
  const running = latest?.state === "running";
  // A crash-looping container shows its last run as lastState while it waits.
  const waitingAfterRun = !!state.waiting && t.attempt >= 0 && (latest !== undefined || t.failedStart?.attempt === t.attempt);
  const last = waitingAfterRun ? terminatedStateOf(t, latest, ctx) : lastTerminated;
  return {
    name: c.name,
    image: c.image,
    ...(latest ? { containerID: runtimeId(ctx, latest.id) } : {}),
    state,
    lastState: last ? { terminated: last } : {},
    restartCount: Math.max(0, t.attempt),
    ready: running && !ctx.init && t.probe.ready,
    started: running && t.probe.started,
  };
}
