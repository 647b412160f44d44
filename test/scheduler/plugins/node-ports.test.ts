import { describe, expect, test } from "bun:test";
import { hasHostPortConflict, nodePorts, NODE_PORTS_CONFLICT } from "../../../core/scheduler/plugins/node-ports.ts";
import { node, nodeInfo, podInfo, STATE, type ContainerOptions } from "../fixtures.ts";

type Ports = NonNullable<ContainerOptions["ports"]>;

describe("hasHostPortConflict", () => {
  const cases: { name: string; used: Ports; wanted: Ports; want: boolean }[] = [
    { name: "no ports in use", used: [], wanted: [{ hostPort: 80 }], want: false },
    { name: "the same port on every address", used: [{ hostPort: 80 }], wanted: [{ hostPort: 80 }], want: true },
    { name: "another port", used: [{ hostPort: 80 }], wanted: [{ hostPort: 81 }], want: false },
    { name: "another protocol", used: [{ hostPort: 53, protocol: "UDP" }], wanted: [{ hostPort: 53, protocol: "TCP" }], want: false },
    { name: "two specific addresses", used: [{ hostPort: 80, hostIP: "10.0.0.1" }], wanted: [{ hostPort: 80, hostIP: "10.0.0.2" }], want: false },
    { name: "the same specific address", used: [{ hostPort: 80, hostIP: "10.0.0.1" }], wanted: [{ hostPort: 80, hostIP: "10.0.0.1" }], want: true },
    { name: "0.0.0.0 wanted, a specific address in use", used: [{ hostPort: 80, hostIP: "10.0.0.1" }], wanted: [{ hostPort: 80 }], want: true },
    { name: "a specific address wanted, 0.0.0.0 in use", used: [{ hostPort: 80 }], wanted: [{ hostPort: 80, hostIP: "10.0.0.1" }], want: true },
    { name: "container ports without a host port take nothing", used: [{ containerPort: 80 }], wanted: [{ hostPort: 80 }], want: false },
  ];
  test.each(cases)("$name", ({ used, wanted, want }) => {
    const info = nodeInfo(node("n"), [podInfo("bound", { ports: used })]);
    expect(hasHostPortConflict(podInfo("p", { ports: wanted }).hostPorts, info)).toBe(want);
  });
});

test("a port is free again when its Pod goes; the filter is skipped for Pods without host ports", () => {
  const info = nodeInfo(node("n"), [podInfo("bound", { ports: [{ hostPort: 80 }] })]);
  const pod = podInfo("p", { ports: [{ hostPort: 80 }] });
  expect(nodePorts.filter(STATE, pod, info)).toEqual({ code: "Unschedulable", reasons: [NODE_PORTS_CONFLICT] });
  info.removePod("default/bound");
  expect(nodePorts.filter(STATE, pod, info).code).toBe("Success");
  expect(nodePorts.skipFilter!(STATE, podInfo("q"))).toBe(true);
  expect(nodePorts.skipFilter!(STATE, pod)).toBe(false);
});
