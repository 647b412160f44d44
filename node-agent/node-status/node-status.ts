// planNodeStatus: machine facts + pressure readings + runtime readiness ->
// the Node's status, the tug.io annotations the scheduler's EdgeThermal
// plugin reads, and the well-known labels. Pure: the time comes in as `now`,
// the previous conditions come in so a transition time survives heartbeats.
//
// Pressure thresholds follow kubelet's hard-eviction defaults:
//   memory.available < 100Mi, nodefs.available < 10%.
// Kubelet has no default PID threshold (PIDPressure only with an explicit
// pid.available); tug sets pid.available < 10% of the PID limit, because a
// small board with a fork-bombing container has nothing else to warn it.
// Allocatable is capacity minus the reservation minus the hard-eviction
// threshold for memory and ephemeral storage, as kubelet computes it.

import type { Condition } from "../../core/resources/meta.ts";
import type { NodeStatus } from "../../core/resources/cluster.ts";
import { canonicalQuantity, formatQuantity } from "../../core/resources/quantity.ts";
import { SOC_TEMPERATURE_ANNOTATION, THROTTLED_ANNOTATION } from "../../core/scheduler/node-annotations.ts";
import type { NodeFacts, PressureReadings } from "./node-facts.ts";

/** The board's model as it names itself, e.g. "Raspberry Pi 4 Model B Rev 1.4". */
export const BOARD_MODEL_ANNOTATION = "tug.io/board-model";
/** Which dataplane programs this node's Services: "ipvs" or "nftables" (absent until the proxy chose). */
export const PROXY_MODE_ANNOTATION = "tug.io/proxy-mode";
/** Every annotation planNodeStatus owns: one missing from a plan is to be removed from the Node. */
export const NODE_STATUS_ANNOTATIONS = [SOC_TEMPERATURE_ANNOTATION, THROTTLED_ANNOTATION, BOARD_MODEL_ANNOTATION, PROXY_MODE_ANNOTATION] as const;

export const LABEL_HOSTNAME = "kubernetes.io/hostname";
export const LABEL_OS = "kubernetes.io/os";
export const LABEL_ARCH = "kubernetes.io/arch";
export const LABEL_INSTANCE_TYPE = "node.kubernetes.io/instance-type";
// Deprecated, but kubelet still sets them and old manifests still select on them.
export const LABEL_BETA_OS = "beta.kubernetes.io/os";
export const LABEL_BETA_ARCH = "beta.kubernetes.io/arch";

export interface PressureThresholds {
  /** MemoryPressure when less than this many bytes are available. */
  memoryAvailableBytes: number;
  /** DiskPressure when less than this percentage of the data dir's filesystem is available. */
  diskAvailablePercent: number;
  /** PIDPressure when less than this percentage of the PID limit is free. */
  pidAvailablePercent: number;
}

export const DEFAULT_THRESHOLDS: PressureThresholds = {
  memoryAvailableBytes: 100 * 1024 * 1024,
  diskAvailablePercent: 10,
  pidAvailablePercent: 10,
};

export interface RuntimeReadiness {
  ok: boolean;
  /** Ready's reason when not ok, e.g. "ContainerRuntimeUnavailable"; default "KubeletNotReady". */
  reason?: string;
  /** What is wrong and what to do, e.g. "containerd is not running: apt-get install containerd". */
  message?: string;
}

export interface PlanNodeStatusInput {
  facts: NodeFacts;
  readings: PressureReadings;
  /** `containerd://1.6.20`; undefined while the runtime cannot be reached. */
  runtimeVersion?: string;
  runtimeReady: RuntimeReadiness;
  /** The Node's current conditions: a condition whose status did not change keeps its lastTransitionTime. */
  previous?: readonly Condition[];
  /** RFC 3339, e.g. from rfc3339(clock.now()). */
  now: string;
  /** kube-reserved + system-reserved. */
  reserved: { cpuMillis: number; memoryBytes: number };
  maxPods: number;
  kubeletPort: number;
  /** Reported as kubeletVersion. */
  agentVersion: string;
  thresholds?: PressureThresholds;
  /** The service proxy's dataplane, once chosen. */
  proxyMode?: string;
  /**
   * The Node's name (--node-name), which kubelet puts in kubernetes.io/hostname
   * when the hostname is overridden; the machine's hostname when absent.
   */
  nodeName?: string;
}

export interface NodeStatusPlan {
  status: NodeStatus;
  /** The annotations of NODE_STATUS_ANNOTATIONS that have a value now. */
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

/**
 * `vcgencmd get_throttled` flags -> throttled now. The scheduler reads
 * "throttled" as under-voltage or over-temperature (node-annotations.ts), so
 * this is any of the "now" bits 0-3: under-voltage, ARM frequency capped,
 * currently throttled, soft temperature limit. Bits 16-19 only say it
 * happened since boot, which is history, not the board's state.
 * Undefined when the flags are not a hex number.
 */
export function isThrottledNow(flags: string): boolean | undefined {
  if (!/^0x[0-9a-f]+$/i.test(flags.trim())) return undefined;
  return (parseInt(flags.trim().slice(2), 16) & 0xf) !== 0;
}

/**
 * A label value (at most 63 of [A-Za-z0-9._-], alphanumeric at both ends)
 * from free text: "Raspberry Pi 4 Model B Rev 1.4" -> "raspberry-pi-4-model-b-rev-1.4".
 */
export function labelValueSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .slice(0, 63)
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
}

function bytesQuantity(bytes: number): string {
  // BinarySI like kubelet's resource.NewQuantity(n, BinarySI): "3906252Ki".
  return formatQuantity({ num: BigInt(Math.max(0, Math.floor(bytes))), den: 1n, format: "BinarySI" });
}

function condition(type: string, status: "True" | "False", reason: string, message: string, now: string, previous: readonly Condition[] | undefined): Condition {
  const before = previous?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : now;
  return { type, status, lastHeartbeatTime: now, lastTransitionTime, reason, message };
}

export interface Pressure {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}

export function pressure(readings: PressureReadings, thresholds: PressureThresholds): Pressure {
  return {
    memory: readings.memoryAvailableBytes < thresholds.memoryAvailableBytes,
    disk: readings.diskAvailableBytes * 100 < readings.diskCapacityBytes * thresholds.diskAvailablePercent,
    pid: (readings.pidMax - readings.pidsInUse) * 100 < readings.pidMax * thresholds.pidAvailablePercent,
  };
}

export function planNodeStatus(input: PlanNodeStatusInput): NodeStatusPlan {
  const { facts, readings, runtimeReady, previous, now, reserved } = input;
  const thresholds = input.thresholds ?? DEFAULT_THRESHOLDS;

  const capacity = {
    cpu: String(facts.cpuCount),
    "ephemeral-storage": bytesQuantity(facts.ephemeralStorageBytes),
    memory: bytesQuantity(facts.memoryTotalBytes),
    pods: String(input.maxPods),
  };
  const diskEviction = (facts.ephemeralStorageBytes * thresholds.diskAvailablePercent) / 100;
  const allocatable = {
    cpu: canonicalQuantity(`${Math.max(0, facts.cpuCount * 1000 - reserved.cpuMillis)}m`),
    "ephemeral-storage": bytesQuantity(facts.ephemeralStorageBytes - diskEviction),
    memory: bytesQuantity(facts.memoryTotalBytes - reserved.memoryBytes - thresholds.memoryAvailableBytes),
    pods: String(input.maxPods),
  };

  const p = pressure(readings, thresholds);
  // Kubelet's order, which `kubectl describe node` shows.
  const conditions: Condition[] = [
    p.memory
      ? condition("MemoryPressure", "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available", now, previous)
      : condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now, previous),
    p.disk
      ? condition("DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure", now, previous)
      : condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now, previous),
    p.pid
      ? condition("PIDPressure", "True", "KubeletHasInsufficientPID", "kubelet has insufficient PID available", now, previous)
      : condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", now, previous),
    runtimeReady.ok
      ? condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now, previous)
      : condition("Ready", "False", runtimeReady.reason ?? "KubeletNotReady", runtimeReady.message ?? "container runtime is not ready", now, previous),
  ];

  const nodeInfo: NonNullable<NodeStatus["nodeInfo"]> = {
    architecture: facts.architecture,
    operatingSystem: facts.operatingSystem,
    osImage: facts.osImage,
    kernelVersion: facts.kernelVersion,
    kubeletVersion: input.agentVersion,
  };
  if (input.runtimeVersion !== undefined) nodeInfo.containerRuntimeVersion = input.runtimeVersion;
  if (facts.machineId !== undefined) nodeInfo.machineID = facts.machineId;
  if (facts.bootId !== undefined) nodeInfo.bootID = facts.bootId;
  if (facts.systemUuid !== undefined) nodeInfo.systemUUID = facts.systemUuid;

  const status: NodeStatus = {
    capacity,
    allocatable,
    conditions,
    addresses: facts.addresses.map((a) => ({ type: a.type, address: a.address })),
    daemonEndpoints: { kubeletEndpoint: { Port: input.kubeletPort } },
    nodeInfo,
  };

  const annotations: Record<string, string> = {};
  if (facts.socTemperatureCelsius !== undefined && Number.isFinite(facts.socTemperatureCelsius)) {
    annotations[SOC_TEMPERATURE_ANNOTATION] = facts.socTemperatureCelsius.toFixed(1);
  }
  const throttled = facts.throttledFlags === undefined ? undefined : isThrottledNow(facts.throttledFlags);
  if (throttled !== undefined) annotations[THROTTLED_ANNOTATION] = String(throttled);
  if (facts.boardModel) annotations[BOARD_MODEL_ANNOTATION] = facts.boardModel;
  if (input.proxyMode) annotations[PROXY_MODE_ANNOTATION] = input.proxyMode;

  const labels: Record<string, string> = {
    [LABEL_HOSTNAME]: input.nodeName ?? labelValueSlug(facts.hostname),
    [LABEL_OS]: facts.operatingSystem,
    [LABEL_ARCH]: facts.architecture,
    [LABEL_BETA_OS]: facts.operatingSystem,
    [LABEL_BETA_ARCH]: facts.architecture,
  };
  const instanceType = facts.boardModel ? labelValueSlug(facts.boardModel) : "";
  if (instanceType) labels[LABEL_INSTANCE_TYPE] = instanceType;

  return { status, annotations, labels };
}
