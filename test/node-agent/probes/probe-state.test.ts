// Table tests of the pure probe arithmetic: defaults, scheduling and thresholds.

import { describe, expect, test } from "bun:test";
import { Probe } from "../../../core/resources/container.ts";
import type { ProbeSpec, ProbeState } from "../../../node-agent/probes/probe-state.ts";
import { INITIAL_PROBE_STATE, nextProbeAt, probeTimings, recordResult } from "../../../node-agent/probes/probe-state.ts";

const exec = { exec: { command: ["true"] } };

describe("probeTimings", () => {
  test.each([
    ["empty spec -> Kubernetes defaults", {}, { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 }],
    ["zeros read as defaults (SetDefaults_Probe)", { periodSeconds: 0, timeoutSeconds: 0, successThreshold: 0, failureThreshold: 0 }, { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 }],
    ["explicit values win", { initialDelaySeconds: 5, periodSeconds: 2, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 1 }, { initialDelaySeconds: 5, periodSeconds: 2, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 1 }],
    ["negative initial delay is 0", { initialDelaySeconds: -4 }, { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 }],
  ] as [string, Partial<ProbeSpec>, ReturnType<typeof probeTimings>][])("%s", (_name, spec, want) => {
    expect(probeTimings({ ...exec, ...spec })).toEqual(want);
  });

  test("a Probe parsed by core/resources is a ProbeSpec", () => {
    const parsed: ProbeSpec = Probe.parse({ httpGet: { port: "http" }, periodSeconds: 4 });
    expect(probeTimings(parsed).periodSeconds).toBe(4);
    expect(parsed.httpGet?.path).toBe("/");
  });
});

describe("nextProbeAt", () => {
  const started = 1_000_000;
  test.each([
    ["first run at start when no initial delay", {}, INITIAL_PROBE_STATE, started],
    ["first run after the initial delay", { initialDelaySeconds: 5 }, INITIAL_PROBE_STATE, started + 5000],
    ["next run one default period after the last run", {}, { ...INITIAL_PROBE_STATE, lastRunAt: started + 700 }, started + 10_700],
    ["next run one period after the last run", { periodSeconds: 3 }, { result: "success", successes: 1, failures: 0, lastRunAt: started + 9000 }, started + 12_000],
    ["never before the initial delay is over", { initialDelaySeconds: 30, periodSeconds: 1 }, { ...INITIAL_PROBE_STATE, lastRunAt: started }, started + 30_000],
  ] as [string, Partial<ProbeSpec>, ProbeState, number][])("%s", (_name, spec, state, want) => {
    expect(nextProbeAt({ ...exec, ...spec }, state, started)).toBe(want);
  });
});

describe("recordResult", () => {
  // Each row: thresholds, a run of results (true = ok), and the state after each step.
  type Step = [ProbeState["result"], number, number];
  test.each([
    ["default: one success is enough", {}, [true], [["success", 1, 0]]],
    ["default: three failures flip to failure", {}, [false, false, false], [["unknown", 0, 1], ["unknown", 0, 2], ["failure", 0, 3]]],
    ["a success resets the failure run", {}, [false, false, true, false, false, false], [["unknown", 0, 1], ["unknown", 0, 2], ["success", 1, 0], ["success", 0, 1], ["success", 0, 2], ["failure", 0, 3]]],
    ["successThreshold 2 needs two in a row", { successThreshold: 2 }, [true, false, true, true], [["unknown", 1, 0], ["unknown", 0, 1], ["unknown", 1, 0], ["success", 2, 0]]],
    ["failure stays until the success threshold", { successThreshold: 3, failureThreshold: 1 }, [false, true, true, true], [["failure", 0, 1], ["failure", 1, 0], ["failure", 2, 0], ["success", 3, 0]]],
    ["failureThreshold 1 flips at once", { failureThreshold: 1 }, [true, false], [["success", 1, 0], ["failure", 0, 1]]],
    ["counts keep growing past the threshold", { failureThreshold: 2 }, [false, false, false], [["unknown", 0, 1], ["failure", 0, 2], ["failure", 0, 3]]],
  ] as [string, Partial<ProbeSpec>, boolean[], Step[]][])("%s", (_name, spec, runs, want) => {
    let state = INITIAL_PROBE_STATE;
    const got: Step[] = [];
    runs.forEach((ok, i) => {
      state = recordResult({ ...exec, ...spec }, state, ok, 5000 + i * 1000);
      expect(state.lastRunAt).toBe(5000 + i * 1000);
      got.push([state.result, state.successes, state.failures]);
    });
    expect(got).toEqual(want);
  });

  test("does not change the state it is given", () => {
    const before: ProbeState = { result: "unknown", successes: 0, failures: 2 };
    recordResult(exec, before, false, 1);
    expect(before).toEqual({ result: "unknown", successes: 0, failures: 2 });
  });
});
