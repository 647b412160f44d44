import { expect, test } from "bun:test";
import { Pod } from "../../../core/resources/pod.ts";
import { planPodStatus, podPhase, type ContainerView, type PodView } from "../../../node-agent/pods/pod-status.ts";
import { crashBackoffMs, shouldRestart } from "../../../node-agent/pods/restart-policy.ts";

const running: ContainerView["state"] = { running: { startedAt: "2026-01-01T00:00:00Z" } };
const exited = (exitCode: number): ContainerView["state"] => ({ terminated: { exitCode } });
const waiting: ContainerView["state"] = { waiting: { reason: "ContainerCreating" } };
const crashLoop: [ContainerView["state"], ContainerView["lastState"]] = [{ waiting: { reason: "CrashLoopBackOff" } }, { terminated: { exitCode: 1 } }];

function view(restartPolicy: string, states: [ContainerView["state"], ContainerView["lastState"]?][], extra: Partial<PodView> = {}): PodView {
  const pod = Pod.parse({ metadata: { name: "p", namespace: "ns", uid: "u" }, spec: { restartPolicy, containers: states.map((_, i) => ({ name: `c${i}`, image: "i" })) } });
  return {
    pod,
    hostIP: "192.0.2.2",
    startTime: "2026-01-01T00:00:00Z",
    init: [],
    containers: states.map(([state, lastState], i) => ({ name: `c${i}`, image: "i", state, lastState: lastState ?? {}, restartCount: 0, ready: !!state.running, started: !!state.running })),
    initialized: true,
    initFailed: false,
    now: "2026-01-01T00:01:00Z",
    ...extra,
  };
}

test.each([
  ["Always", [[running]], "Running"],
  ["Always", [[running], [waiting]], "Pending"],
  ["Always", [[crashLoop[0], crashLoop[1]]], "Running"],
  ["Always", [[exited(0)]], "Running"],
  ["Never", [[exited(0)], [exited(0)]], "Succeeded"],
  ["Never", [[exited(0)], [exited(2)]], "Failed"],
  ["Never", [[running], [exited(2)]], "Running"],
  ["OnFailure", [[exited(0)]], "Succeeded"],
  ["OnFailure", [[exited(1)]], "Running"],
] as const)("restartPolicy %s, containers %j -> %s", (policy, states, phase) => {
  expect(podPhase(view(policy, states as never))).toBe(phase);
});

test("init containers: not done is Pending, failed with Never is Failed", () => {
  expect(podPhase(view("Always", [[waiting]], { initialized: false }))).toBe("Pending");
  expect(podPhase(view("Never", [[waiting]], { initialized: false, initFailed: true }))).toBe("Failed");
});

test("conditions: Ready follows the containers; a condition that did not change keeps its transition time", () => {
  const v = view("Always", [[running]]);
  v.podIP = "10.42.0.9";
  v.pod.status.conditions = [{ type: "Ready", status: "True", lastTransitionTime: "2025-12-31T00:00:00Z" }];
  const s = planPodStatus(v) as any;
  expect(s.podIP).toBe("10.42.0.9");
  expect(s.conditions.map((c: any) => [c.type, c.status])).toEqual([
    ["Initialized", "True"],
    ["Ready", "True"],
    ["ContainersReady", "True"],
    ["PodScheduled", "True"],
  ]);
  expect(s.conditions.find((c: any) => c.type === "Ready").lastTransitionTime).toBe("2025-12-31T00:00:00Z");
  v.containers[0]!.ready = false;
  const notReady = planPodStatus(v) as any;
  const ready = notReady.conditions.find((c: any) => c.type === "Ready");
  expect([ready.status, ready.reason, ready.lastTransitionTime]).toEqual(["False", "ContainersNotReady", "2026-01-01T00:01:00Z"]);
});

test.each([
  ["Always", 0, true],
  ["Always", 1, true],
  ["OnFailure", 0, false],
  ["OnFailure", 137, true],
  ["Never", 1, false],
] as const)("shouldRestart(%s, %d) = %p", (policy, code, want) => {
  expect(shouldRestart(policy, code)).toBe(want);
});

test.each([
  [0, 1000, 0],
  [1, 1000, 10_000],
  [2, 1000, 20_000],
  [4, 1000, 80_000],
  [10, 1000, 300_000],
  [5, 600_000, 0],
])("crashBackoffMs(restarts %d, ran %d ms) = %d", (restarts, ran, want) => {
  expect(crashBackoffMs(restarts, ran)).toBe(want);
});
