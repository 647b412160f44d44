// The pure half of usage metrics: /proc parsing, rates from two samples,
// and the quantity strings metrics.k8s.io carries.

import { describe, expect, test } from "bun:test";
import { cpuQuantity, cpuRateNanocores, memoryQuantity, nodeCpuNanocores, parseMemInfoWorkingSet, parseProcStat, windowDuration } from "../../../node-agent/node-status/metrics-sample.ts";
import { parseAgentMessage } from "../../../core/mesh/messages.ts";

const STAT = (user: number, idle: number) => `cpu  ${user} 0 0 ${idle} 0 0 0 0 0 0
cpu0 1 0 0 1 0 0 0 0 0 0
cpu1 1 0 0 1 0 0 0 0 0 0
intr 12345
ctxt 999
`;

describe("parseProcStat and nodeCpuNanocores", () => {
  test("the aggregate line: busy and total ticks, and the CPU count", () => {
    expect(parseProcStat("cpu  10 2 3 100 5 1 1 0 0 0\ncpu0 1 1 1 1 1 1 1 1 0 0\n")).toEqual({ busy: 17, total: 122, cpus: 1 });
    expect(parseProcStat("intr 1\n")).toBeUndefined();
  });

  test.each([
    // 2 CPUs: half the ticks busy = one core
    [STAT(100, 100), STAT(200, 200), 1_000_000_000],
    [STAT(100, 100), STAT(100, 300), 0],
    [STAT(100, 100), STAT(300, 100), 2_000_000_000],
    // no ticks between samples
    [STAT(100, 100), STAT(100, 100), 0],
  ])("%#: cores from two samples", (a, b, want) => {
    expect(nodeCpuNanocores(parseProcStat(a)!, parseProcStat(b)!)).toBe(want);
  });
});

describe("parseMemInfoWorkingSet", () => {
  test("MemTotal - MemAvailable, in bytes", () => {
    expect(parseMemInfoWorkingSet("MemTotal:        2000 kB\nMemFree:          100 kB\nMemAvailable:     500 kB\n")).toBe(1500 * 1024);
    expect(parseMemInfoWorkingSet("MemTotal:        2000 kB\n")).toBeUndefined();
  });
});

describe("cpuRateNanocores", () => {
  test.each([
    // 0.25 s of CPU over 1 s: a quarter core
    [{ cpuNanos: 0, atMs: 0 }, { cpuNanos: 250_000_000, atMs: 1000 }, 250_000_000],
    [{ cpuNanos: 1e9, atMs: 0 }, { cpuNanos: 11e9, atMs: 10_000 }, 1_000_000_000],
    // a counter that went back (the container restarted) or no time passed
    [{ cpuNanos: 5e9, atMs: 0 }, { cpuNanos: 1e9, atMs: 10_000 }, 0],
    [{ cpuNanos: 0, atMs: 10 }, { cpuNanos: 1e9, atMs: 10 }, 0],
  ])("%#", (a, b, want) => {
    expect(cpuRateNanocores(a, b)).toBe(want);
  });
});

describe("quantities", () => {
  test("CPU in nanocores, memory in Ki, windows as Go durations", () => {
    expect(cpuQuantity(123_456_789.4)).toBe("123456789n");
    expect(cpuQuantity(0)).toBe("0");
    expect(memoryQuantity(1024 * 1000)).toBe("1000Ki");
    expect(memoryQuantity(0)).toBe("0");
    expect(windowDuration(10_000)).toBe("10s");
    expect(windowDuration(10_512)).toBe("10.512s");
  });
});

describe("the metrics frame", () => {
  const frame = { type: "metrics", timestamp: "2026-01-01T00:00:00Z", window: "10s", node: { cpu: "5n", memory: "1Ki" }, pods: [{ namespace: "ns", name: "p", containers: [{ name: "c", cpu: "1n", memory: "2Ki" }] }] };

  test("parses when well formed", () => {
    expect(parseAgentMessage(JSON.stringify(frame))).toEqual(frame as never);
  });

  test.each([
    [{ ...frame, node: { cpu: 5, memory: "1Ki" } }, 'mesh frame "metrics": node.cpu: expected a string'],
    [{ ...frame, pods: [{ namespace: "ns", name: "p", containers: [{ name: "c", cpu: "1n" }] }] }, 'mesh frame "metrics": pods.0.containers.0.memory: expected a string'],
    [{ ...frame, window: undefined }, 'mesh frame "metrics": window: expected a string'],
  ])("%#: a bad one is refused, naming the field", (bad, message) => {
    expect(() => parseAgentMessage(JSON.stringify(bad))).toThrow(message);
  });
});
