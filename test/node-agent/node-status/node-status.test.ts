// planNodeStatus and the pure parsers of node-facts.ts, as tables.

import { describe, expect, test } from "bun:test";
import type { Condition } from "../../../core/resources/meta.ts";
import { NodeStatus } from "../../../core/resources/cluster.ts";
import { thermalReading } from "../../../core/scheduler/node-annotations.ts";
import { thermalScore } from "../../../core/scheduler/plugins/edge-thermal.ts";
import {
  goArch,
  meminfoBytes,
  parseDefaultRouteInterface,
  parseOsRelease,
  parseThrottledOutput,
  pickInternalIp,
  type InterfaceAddress,
  type NodeFacts,
  type PressureReadings,
} from "../../../node-agent/node-status/node-facts.ts";
import {
  BOARD_MODEL_ANNOTATION,
  DEFAULT_THRESHOLDS,
  isThrottledNow,
  labelValueSlug,
  planNodeStatus,
  type PlanNodeStatusInput,
} from "../../../node-agent/node-status/node-status.ts";

const Ki = 1024;
const Mi = 1024 * Ki;
const Gi = 1024 * Mi;

const PI_FACTS: NodeFacts = {
  hostname: "pi-1",
  addresses: [
    { type: "InternalIP", address: "192.168.1.20" },
    { type: "Hostname", address: "pi-1" },
  ],
  cpuCount: 4,
  memoryTotalBytes: 3906252 * Ki,
  ephemeralStorageBytes: 30 * Gi,
  architecture: "arm64",
  osImage: "Debian GNU/Linux 12 (bookworm)",
  kernelVersion: "6.1.0-rpi7-rpi-v8",
  operatingSystem: "linux",
  machineId: "0123456789abcdef0123456789abcdef",
  bootId: "7c2a0a7e-9a51-4a6b-8a3c-0c1d2e3f4a5b",
  boardModel: "Raspberry Pi 4 Model B Rev 1.4",
  socTemperatureCelsius: 61.24,
  throttledFlags: "0x0",
  problems: [],
};

const CALM: PressureReadings = {
  memoryAvailableBytes: 2 * Gi,
  diskAvailableBytes: 20 * Gi,
  diskCapacityBytes: 30 * Gi,
  pidsInUse: 300,
  pidMax: 32768,
};

const T0 = "2025-01-01T00:00:00Z";
const T1 = "2025-01-01T00:00:10Z";

function input(over: Partial<PlanNodeStatusInput> = {}): PlanNodeStatusInput {
  return {
    facts: PI_FACTS,
    readings: CALM,
    runtimeVersion: "containerd://1.6.20",
    runtimeReady: { ok: true },
    now: T0,
    reserved: { cpuMillis: 100, memoryBytes: 128 * Mi },
    maxPods: 110,
    kubeletPort: 10250,
    agentVersion: "v0.1.0",
    ...over,
  };
}

function cond(conditions: readonly Condition[] | undefined, type: string): Condition {
  const c = conditions?.find((x) => x.type === type);
  if (!c) throw new Error(`no ${type} condition`);
  return c;
}

describe("planNodeStatus", () => {
  test("capacity and allocatable are Kubernetes quantities; allocatable subtracts reservations and eviction thresholds", () => {
    const { status } = planNodeStatus(input());
    expect(status.capacity).toEqual({ cpu: "4", memory: "3906252Ki", "ephemeral-storage": "30Gi", pods: "110" });
    // 3906252Ki - 128Mi - 100Mi (memory.available) = 3672780Ki; 30Gi - 10% = 27Gi.
    expect(status.allocatable).toEqual({ cpu: "3900m", memory: "3672780Ki", "ephemeral-storage": "27Gi", pods: "110" });
    // What the API would store: the schema accepts it unchanged.
    expect(NodeStatus.parse(status)).toEqual(status);
  });

  test.each([
    ["whole cores reserved", 1000, "3"],
    ["nothing reserved", 0, "4"],
    ["more than the machine", 5000, "0"],
  ])("allocatable cpu: %s", (_name, cpuMillis, want) => {
    expect(planNodeStatus(input({ reserved: { cpuMillis, memoryBytes: 0 } })).status.allocatable?.cpu).toBe(want);
  });

  test("nodeInfo, addresses and the kubelet endpoint", () => {
    const { status } = planNodeStatus(input());
    expect(status.nodeInfo).toEqual({
      architecture: "arm64",
      operatingSystem: "linux",
      osImage: "Debian GNU/Linux 12 (bookworm)",
      kernelVersion: "6.1.0-rpi7-rpi-v8",
      kubeletVersion: "v0.1.0",
      containerRuntimeVersion: "containerd://1.6.20",
      machineID: PI_FACTS.machineId,
      bootID: PI_FACTS.bootId,
    });
    expect(status.addresses).toEqual([
      { type: "InternalIP", address: "192.168.1.20" },
      { type: "Hostname", address: "pi-1" },
    ]);
    expect(status.daemonEndpoints?.kubeletEndpoint?.Port).toBe(10250);
  });

  test("conditions come in kubelet's order with kubelet's reasons when all is well", () => {
    const { status } = planNodeStatus(input());
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["MemoryPressure", "False", "KubeletHasSufficientMemory"],
      ["DiskPressure", "False", "KubeletHasNoDiskPressure"],
      ["PIDPressure", "False", "KubeletHasSufficientPID"],
      ["Ready", "True", "KubeletReady"],
    ]);
    for (const c of status.conditions ?? []) expect([c.lastHeartbeatTime, c.lastTransitionTime]).toEqual([T0, T0]);
  });

  const pressureCases: [string, Partial<PressureReadings>, string, "True" | "False", string][] = [
    ["memory just under 100Mi", { memoryAvailableBytes: 100 * Mi - 1 }, "MemoryPressure", "True", "KubeletHasInsufficientMemory"],
    ["memory at 100Mi", { memoryAvailableBytes: 100 * Mi }, "MemoryPressure", "False", "KubeletHasSufficientMemory"],
    ["disk under 10% available", { diskAvailableBytes: 3 * Gi - 1 }, "DiskPressure", "True", "KubeletHasDiskPressure"],
    ["disk at 10% available", { diskAvailableBytes: 3 * Gi }, "DiskPressure", "False", "KubeletHasNoDiskPressure"],
    ["pids: fewer than 10% free", { pidsInUse: 29492, pidMax: 32768 }, "PIDPressure", "True", "KubeletHasInsufficientPID"],
    ["pids: exactly 10% free", { pidsInUse: 900, pidMax: 1000 }, "PIDPressure", "False", "KubeletHasSufficientPID"],
  ];
  test.each(pressureCases)("%s", (_name, readings, type, want, reason) => {
    const { status } = planNodeStatus(input({ readings: { ...CALM, ...readings } }));
    expect(cond(status.conditions, type)).toMatchObject({ status: want, reason });
    expect(cond(status.conditions, "Ready").status).toBe("True");
  });

  test("custom thresholds replace the defaults", () => {
    const thresholds = { ...DEFAULT_THRESHOLDS, memoryAvailableBytes: 4 * Gi };
    expect(cond(planNodeStatus(input({ thresholds })).status.conditions, "MemoryPressure").status).toBe("True");
  });

  test("runtime not ready: Ready False with the given reason and message", () => {
    const message = "containerd is not running (apt-get install containerd runc)";
    const { status } = planNodeStatus(input({ runtimeVersion: undefined, runtimeReady: { ok: false, reason: "ContainerRuntimeUnavailable", message } }));
    expect(cond(status.conditions, "Ready")).toMatchObject({ status: "False", reason: "ContainerRuntimeUnavailable", message });
    expect(status.nodeInfo?.containerRuntimeVersion).toBeUndefined();
    const bare = planNodeStatus(input({ runtimeReady: { ok: false } }));
    expect(cond(bare.status.conditions, "Ready")).toMatchObject({ status: "False", reason: "KubeletNotReady" });
  });

  test("lastTransitionTime survives a heartbeat and moves on a change", () => {
    const first = planNodeStatus(input({ now: T0 })).status.conditions;
    const later = planNodeStatus(input({ now: T1, previous: first, readings: { ...CALM, memoryAvailableBytes: 10 * Mi } })).status.conditions;
    expect(cond(later, "Ready")).toMatchObject({ lastHeartbeatTime: T1, lastTransitionTime: T0 });
    expect(cond(later, "DiskPressure")).toMatchObject({ lastHeartbeatTime: T1, lastTransitionTime: T0 });
    expect(cond(later, "MemoryPressure")).toMatchObject({ status: "True", lastHeartbeatTime: T1, lastTransitionTime: T1 });
    // A previous condition without a transition time gets now.
    const bare = planNodeStatus(input({ now: T1, previous: [{ type: "Ready", status: "True" }] })).status.conditions;
    expect(cond(bare, "Ready").lastTransitionTime).toBe(T1);
  });

  test("annotations round-trip through the scheduler's reader", () => {
    const { annotations } = planNodeStatus(input());
    expect(annotations).toEqual({ "tug.io/soc-temperature": "61.2", "tug.io/throttled": "false", [BOARD_MODEL_ANNOTATION]: "Raspberry Pi 4 Model B Rev 1.4" });
    expect(thermalReading(annotations)).toEqual({ celsius: 61.2, throttled: false });

    const hot = planNodeStatus(input({ facts: { ...PI_FACTS, socTemperatureCelsius: 82, throttledFlags: "0x20002" } })).annotations;
    const reading = thermalReading(hot);
    expect(reading).toEqual({ celsius: 82, throttled: true });
    expect(thermalScore(reading.celsius, reading.throttled)).toBe(0);
  });

  test("no temperature, no vcgencmd, no board model: those annotations are absent", () => {
    const facts = { ...PI_FACTS, socTemperatureCelsius: undefined, throttledFlags: undefined, boardModel: undefined };
    const plan = planNodeStatus(input({ facts }));
    expect(plan.annotations).toEqual({});
    expect(thermalReading(plan.annotations)).toEqual({ celsius: undefined, throttled: false });
    expect(plan.labels["node.kubernetes.io/instance-type"]).toBeUndefined();
  });

  test("kubernetes.io/hostname is the node's name when it has one (--node-name), as kubelet's override", () => {
    expect(planNodeStatus(input({ nodeName: "board-7" })).labels["kubernetes.io/hostname"]).toBe("board-7");
  });

  test("labels", () => {
    expect(planNodeStatus(input()).labels).toEqual({
      "kubernetes.io/hostname": "pi-1",
      "kubernetes.io/os": "linux",
      "kubernetes.io/arch": "arm64",
      "beta.kubernetes.io/os": "linux",
      "beta.kubernetes.io/arch": "arm64",
      "node.kubernetes.io/instance-type": "raspberry-pi-4-model-b-rev-1.4",
    });
  });
});

describe("isThrottledNow", () => {
  test.each([
    ["0x0", false],
    ["0x1", true], // under-voltage now
    ["0x2", true], // ARM frequency capped
    ["0x4", true], // currently throttled
    ["0x8", true], // soft temperature limit
    ["0x50000", false], // under-voltage and throttling happened since boot, not now
    ["0x50005", true],
    ["0xE0008", true],
    ["nonsense", undefined],
    ["", undefined],
  ] as const)("%s -> %p", (flags, want) => {
    expect(isThrottledNow(flags)).toBe(want);
  });
});

describe("labelValueSlug", () => {
  test.each([
    ["Raspberry Pi 4 Model B Rev 1.4", "raspberry-pi-4-model-b-rev-1.4"],
    ["Raspberry Pi Compute Module 4 Rev 1.0", "raspberry-pi-compute-module-4-rev-1.0"],
    ["  --ODROID-N2+--  ", "odroid-n2"],
    ["Docker Container", "docker-container"],
    ["x".repeat(80), "x".repeat(63)],
    ["a".repeat(62) + " -b", "a".repeat(62)],
    ["???", ""],
  ])("%p -> %p", (text, want) => {
    const got = labelValueSlug(text);
    expect(got).toBe(want);
    expect(got === "" || /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/.test(got)).toBe(true);
  });
});

describe("node-facts parsers", () => {
  test.each([
    ["x64", "amd64"],
    ["arm64", "arm64"],
    ["arm", "arm"],
    ["ia32", "386"],
    ["riscv64", "riscv64"],
  ])("goArch(%p) = %p", (node, go) => expect(goArch(node)).toBe(go));

  test.each([
    ['NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n', "Debian GNU/Linux 12 (bookworm)"],
    ["PRETTY_NAME='Alpine Linux v3.19'\n", "Alpine Linux v3.19"],
    ["PRETTY_NAME=Plain\n", "Plain"],
    ['PRETTY_NAME="Say \\"hi\\""\n', 'Say "hi"'],
    ["ID=nothing\n", "Linux"],
    ["", "Linux"],
  ])("parseOsRelease %#", (text, want) => expect(parseOsRelease(text)).toBe(want));

  const header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";
  test.each([
    ["one default", `${header}\neth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\ndocker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0`, "eth0"],
    ["lowest metric wins", `${header}\nwlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\neth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0`, "eth0"],
    ["route down", `${header}\neth0\t00000000\t0101A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0`, undefined],
    ["no default", `${header}\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0`, undefined],
  ])("parseDefaultRouteInterface: %s", (_name, text, want) => expect(parseDefaultRouteInterface(text)).toBe(want));

  const v4 = (address: string, internal = false): InterfaceAddress => ({ family: "IPv4", address, internal });
  const v6 = (address: string): InterfaceAddress => ({ family: "IPv6", address, internal: false });
  test.each([
    ["default-route interface first", { lo: [v4("127.0.0.1", true)], docker0: [v4("172.17.0.1")], eth0: [v6("fd00::2"), v4("192.0.2.2")] }, "eth0", "192.0.2.2"],
    ["default route wins over an earlier name", { eth0: [v4("10.0.0.5")], wlan0: [v4("192.168.1.9")] }, "wlan0", "192.168.1.9"],
    ["no default route: skip bridges and veths", { "br-1a2b": [v4("172.18.0.1")], cni0: [v4("10.42.0.1")], docker0: [v4("172.17.0.1")], wlan0: [v4("192.168.1.9")] }, undefined, "192.168.1.9"],
    ["only virtual ones left", { docker0: [v4("172.17.0.1")], lo: [v4("127.0.0.1", true)] }, undefined, "172.17.0.1"],
    ["link-local only as a last resort", { eth0: [v4("169.254.3.4")] }, "eth0", "169.254.3.4"],
    ["link-local on the default route loses to a real address elsewhere", { eth0: [v4("169.254.3.4")], usb0: [v4("10.1.2.3")] }, "eth0", "10.1.2.3"],
    ["only loopback", { lo: [v4("127.0.0.1", true)] }, undefined, undefined],
  ])("pickInternalIp: %s", (_name, ifaces, dflt, want) => expect(pickInternalIp(ifaces, dflt)).toBe(want));

  test.each([
    ["throttled=0x0\n", "0x0"],
    ["throttled=0x50005", "0x50005"],
    ["throttled=0xE0000", "0xe0000"],
    ["VCHI initialization failed", undefined],
  ])("parseThrottledOutput(%p)", (out, want) => expect(parseThrottledOutput(out)).toBe(want));

  test("meminfoBytes", () => {
    const text = "MemTotal:        3906252 kB\nMemFree:          123456 kB\nMemAvailable:    2000000 kB\n";
    expect(meminfoBytes(text, "MemTotal")).toBe(3906252 * 1024);
    expect(meminfoBytes(text, "MemAvailable")).toBe(2000000 * 1024);
    expect(meminfoBytes(text, "SwapTotal")).toBeUndefined();
  });
});
