// collectNodeFacts / collectPressure on this machine: real /proc, /sys and
// statfs, so the values are only checked for plausibility.

import { describe, expect, test } from "bun:test";
import os from "node:os";
import { join } from "node:path";
import { collectNodeFacts, collectPressure, collectThermal } from "../../../node-agent/node-status/node-facts.ts";
import { planNodeStatus } from "../../../node-agent/node-status/node-status.ts";
import { NodeStatus } from "../../../core/resources/cluster.ts";

// Does not exist: the facts come from its nearest existing parent.
const dataDir = join(os.tmpdir(), `tug-node-facts-${process.pid}`, "not", "yet");

describe.skipIf(process.platform !== "linux")("node facts on this machine", () => {
  test("collectNodeFacts gives plausible facts", async () => {
    const facts = await collectNodeFacts({ dataDir });
    expect(facts.cpuCount).toBeGreaterThanOrEqual(1);
    expect(facts.memoryTotalBytes).toBeGreaterThan(0);
    expect(facts.ephemeralStorageBytes).toBeGreaterThan(0);
    expect(facts.hostname).toBe(os.hostname().toLowerCase());
    expect(facts.addresses.length).toBeGreaterThan(0);
    expect(facts.addresses.at(-1)).toEqual({ type: "Hostname", address: facts.hostname });
    const internal = facts.addresses.find((a) => a.type === "InternalIP");
    if (internal) {
      expect(internal.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(internal.address.startsWith("127.")).toBe(false);
    }
    expect(["amd64", "arm64", "arm"]).toContain(facts.architecture);
    expect(facts.operatingSystem).toBe("linux");
    expect(facts.kernelVersion).toBe(os.release());
    expect(facts.osImage.length).toBeGreaterThan(0);
    expect(facts.bootId).toMatch(/^[0-9a-f-]{36}$/);
    if (facts.socTemperatureCelsius !== undefined) expect(facts.socTemperatureCelsius).toBeGreaterThan(-40);
    if (facts.throttledFlags !== undefined) expect(facts.throttledFlags).toMatch(/^0x[0-9a-f]+$/);
    // As root (as the agent runs) every fact this machine has is readable; others may not read DMI's product_uuid.
    if (process.getuid?.() === 0) expect(facts.problems).toEqual([]);

    // Same boot: board model and system UUID are carried over, not read again.
    const again = await collectNodeFacts({ dataDir, previous: { ...facts, boardModel: "carried over" } });
    expect(again.boardModel).toBe("carried over");

    const thermal = await collectThermal();
    expect(thermal.socTemperatureCelsius === undefined || Number.isFinite(thermal.socTemperatureCelsius)).toBe(true);

    // The facts make a status the API accepts.
    const readings = await collectPressure({ dataDir });
    const { status } = planNodeStatus({
      facts,
      readings,
      runtimeReady: { ok: true },
      now: "2025-01-01T00:00:00Z",
      reserved: { cpuMillis: 0, memoryBytes: 0 },
      maxPods: 110,
      kubeletPort: 10250,
      agentVersion: "v0.0.0-test",
    });
    expect(NodeStatus.parse(status).capacity?.cpu).toBe(String(facts.cpuCount));
  });

  test("collectPressure gives plausible readings", async () => {
    const r = await collectPressure({ dataDir });
    expect(r.memoryAvailableBytes).toBeGreaterThan(0);
    expect(r.memoryAvailableBytes).toBeLessThanOrEqual(os.totalmem());
    expect(r.diskCapacityBytes).toBeGreaterThan(0);
    expect(r.diskAvailableBytes).toBeGreaterThanOrEqual(0);
    expect(r.diskAvailableBytes).toBeLessThanOrEqual(r.diskCapacityBytes);
    // At least this process's own threads.
    expect(r.pidsInUse).toBeGreaterThanOrEqual(1);
    expect(r.pidMax).toBeGreaterThan(r.pidsInUse);
  });
});
