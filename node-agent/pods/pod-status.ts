// The Pod status the agent reports, computed from what it knows (pure): phase
// as kubelet's getPhase decides it, the four conditions, container statuses
// with state, lastState, ready and restartCount.

import type { Pod } from "../../core/resources/pod.ts";

type K8sContainerState = NonNullable<NonNullable<Pod["status"]["containerStatuses"]>[number]["state"]>;

/** What the pod worker knows about one container of the pod. */
export interface ContainerView {
  name: string;
  image: string;
  /** Runtime id with scheme, e.g. containerd://abc. */
  containerID?: string;
  state: K8sContainerState;
  lastState: K8sContainerState;
  restartCount: number;
  ready: boolean;
  started: boolean;
}

export interface PodView {
  pod: Pod;
  podIP?: string;
  hostIP: string;
  startTime: string;
  init: ContainerView[];
  containers: ContainerView[];
  /** All init containers completed. */
  initialized: boolean;
  /** An init container failed and will not be retried (restartPolicy Never). */
  initFailed: boolean;
  now: string;
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

export function podPhase(v: PodView): PodPhase {
  if (v.initFailed) return "Failed";
  if (!v.initialized) return "Pending";
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of v.containers) {
    if (c.state.running) running++;
    else if (c.state.terminated) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.lastState.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped === 0) return "Pending";
  const policy = v.pod.spec.restartPolicy;
  if (policy === "Always") return "Running";
  if (stopped === succeeded) return "Succeeded";
  return policy === "Never" ? "Failed" : "Running";
}

export function planPodStatus(v: PodView): Record<string, unknown> {
  const phase = podPhase(v);
  const previous = v.pod.status?.conditions ?? [];
  const containersReady = v.containers.length > 0 && v.containers.every((c) => c.ready);
  const condition = (type: string, ok: boolean, reason?: string) => {
    const status = ok ? "True" : "False";
    const before = previous.find((c) => c.type === type);
    const lastTransitionTime = before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : v.now;
    return { type, status, lastProbeTime: null, lastTransitionTime, ...(ok || !reason ? {} : { reason }) };
  };
  const done = phase === "Succeeded" || phase === "Failed";
  const notReadyReason = done ? "PodCompleted" : "ContainersNotReady";
  const status: Record<string, unknown> = {
    phase,
    conditions: [
      condition("Initialized", v.initialized || done, v.initFailed ? "PodCompleted" : "ContainersNotInitialized"),
      condition("Ready", containersReady, notReadyReason),
      condition("ContainersReady", containersReady, notReadyReason),
      condition("PodScheduled", true),
    ],
    hostIP: v.hostIP,
    hostIPs: [{ ip: v.hostIP }],
    startTime: v.startTime,
    containerStatuses: v.containers.map(toStatus),
  };
  if (v.podIP) {
    status.podIP = v.podIP;
    status.podIPs = [{ ip: v.podIP }];
  }
  if (v.init.length) status.initContainerStatuses = v.init.map(toStatus);
  return status;
}

function toStatus(c: ContainerView): Record<string, unknown> {
  return {
    name: c.name,
    state: c.state,
    lastState: c.lastState,
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.image,
    ...(c.containerID ? { containerID: c.containerID } : {}),
    started: c.started,
  };
}
