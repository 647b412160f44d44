// Tables for the DaemonSet's node predicates: node selector requirements,
// nodeSelector + required node affinity, taints and tolerations, the daemon
// tolerations and NodeShouldRunDaemonPod.

import { describe, expect, test } from "bun:test";
import { daemonPodTolerations } from "../../core/controllers/daemon-set/daemon-pod.ts";
import { nodeShouldRunDaemonPod } from "../../core/controllers/daemon-set/eligibility.ts";
import { fitsNodeAffinity, matchesNodeSelectorRequirement, type NodePlacementSpec, type NodeSelectorRequirement } from "../../core/controllers/daemon-set/node-affinity.ts";
import { findUntoleratedTaint } from "../../core/controllers/daemon-set/taints.ts";
import { toleratesTaint } from "../../core/scheduler/plugins/taint-toleration.ts";
import { Node, type Taint } from "../../core/resources/cluster.ts";
import { PodSpec, type Toleration } from "../../core/resources/pod.ts";

describe("matchesNodeSelectorRequirement", () => {
  const labels = { zone: "a", cores: "4", arch: "arm64" };
  const cases: [string, NodeSelectorRequirement, boolean][] = [
    ["In matches", { key: "zone", operator: "In", values: ["a", "b"] }, true],
    ["In misses", { key: "zone", operator: "In", values: ["b"] }, false],
    ["In on a missing label", { key: "gpu", operator: "In", values: ["x"] }, false],
    ["In with no values", { key: "zone", operator: "In", values: [] }, false],
    ["NotIn excludes", { key: "zone", operator: "NotIn", values: ["a"] }, false],
    ["NotIn passes", { key: "zone", operator: "NotIn", values: ["b"] }, true],
    ["NotIn on a missing label", { key: "gpu", operator: "NotIn", values: ["x"] }, true],
    ["Exists", { key: "arch", operator: "Exists" }, true],
    ["Exists on a missing label", { key: "gpu", operator: "Exists" }, false],
    ["Exists with values is invalid", { key: "arch", operator: "Exists", values: ["arm64"] }, false],
    ["DoesNotExist", { key: "gpu", operator: "DoesNotExist" }, true],
    ["DoesNotExist on a present label", { key: "arch", operator: "DoesNotExist" }, false],
    ["Gt", { key: "cores", operator: "Gt", values: ["2"] }, true],
    ["Gt equal", { key: "cores", operator: "Gt", values: ["4"] }, false],
    ["Lt", { key: "cores", operator: "Lt", values: ["8"] }, true],
    ["Lt smaller", { key: "cores", operator: "Lt", values: ["3"] }, false],
    ["Gt on a non-integer label", { key: "zone", operator: "Gt", values: ["1"] }, false],
    ["Gt with a non-integer value", { key: "cores", operator: "Gt", values: ["x"] }, false],
    ["Gt with two values", { key: "cores", operator: "Gt", values: ["1", "2"] }, false],
    ["Gt on a missing label", { key: "gpu", operator: "Gt", values: ["1"] }, false],
    ["unknown operator", { key: "zone", operator: "Equals", values: ["a"] }, false],
  ];
  test.each(cases)("%s", (_name, req, want) => {
    expect(matchesNodeSelectorRequirement(req, labels)).toBe(want);
  });
});

describe("fitsNodeAffinity", () => {
  const node = { name: "pi-1", labels: { zone: "a", disk: "ssd" } };
  const required = (...terms: object[]): NodePlacementSpec => ({
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } },
  });
  const cases: [string, NodePlacementSpec, boolean][] = [
    ["nothing required", {}, true],
    ["nodeSelector matches", { nodeSelector: { zone: "a" } }, true],
    ["nodeSelector needs every label", { nodeSelector: { zone: "a", disk: "hdd" } }, false],
    ["nodeSelector on a missing label", { nodeSelector: { gpu: "" } }, false],
    ["one matching term", required({ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }), true],
    ["expressions of a term are ANDed", required({ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }, { key: "disk", operator: "In", values: ["hdd"] }] }), false],
    [
      "terms are ORed",
      required({ matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] }, { matchExpressions: [{ key: "disk", operator: "Exists" }] }),
      true,
    ],
    ["an empty term matches nothing", required({}), false],
    ["no terms match nothing", required(), false],
    ["matchFields metadata.name In", required({ matchFields: [{ key: "metadata.name", operator: "In", values: ["pi-1"] }] }), true],
    ["matchFields metadata.name In another", required({ matchFields: [{ key: "metadata.name", operator: "In", values: ["pi-2"] }] }), false],
    ["matchFields metadata.name NotIn", required({ matchFields: [{ key: "metadata.name", operator: "NotIn", values: ["pi-2"] }] }), true],
    ["matchFields on another field", required({ matchFields: [{ key: "metadata.uid", operator: "In", values: ["pi-1"] }] }), false],
    ["nodeSelector and affinity both apply", { nodeSelector: { zone: "b" }, ...required({ matchExpressions: [{ key: "disk", operator: "Exists" }] }) }, false],
  ];
  test.each(cases)("%s", (_name, spec, want) => {
    expect(fitsNodeAffinity(spec, node)).toBe(want);
  });
});

describe("toleratesTaint", () => {
  const taint: Taint = { key: "dedicated", value: "edge", effect: "NoSchedule" };
  const cases: [string, Toleration, boolean][] = [
    ["Equal with the same value", { key: "dedicated", operator: "Equal", value: "edge", effect: "NoSchedule" }, true],
    ["operator defaults to Equal", { key: "dedicated", value: "edge" }, true],
    ["Equal with another value", { key: "dedicated", operator: "Equal", value: "core" }, false],
    ["Exists on the key", { key: "dedicated", operator: "Exists" }, true],
    ["Exists with another effect", { key: "dedicated", operator: "Exists", effect: "NoExecute" }, false],
    ["another key", { key: "gpu", operator: "Exists" }, false],
    ["empty key with Exists tolerates everything", { operator: "Exists" }, true],
    ["empty key with Exists and an effect", { operator: "Exists", effect: "NoSchedule" }, true],
  ];
  test.each(cases)("%s", (_name, tol, want) => {
    expect(toleratesTaint(tol, taint)).toBe(want);
  });

  test("findUntoleratedTaint looks only at the given effects", () => {
    const taints: Taint[] = [
      { key: "soft", effect: "PreferNoSchedule" },
      { key: "hard", effect: "NoSchedule" },
    ];
    expect(findUntoleratedTaint(taints, [], ["NoExecute"])).toBeUndefined();
    expect(findUntoleratedTaint(taints, [], ["NoSchedule", "NoExecute"])?.key).toBe("hard");
    expect(findUntoleratedTaint(taints, [{ key: "hard", operator: "Exists" }], ["NoSchedule"])).toBeUndefined();
  });
});

describe("daemonPodTolerations", () => {
  const keys = (ts: Toleration[]) => ts.map((t) => `${t.key ?? "*"}:${t.effect ?? "*"}${t.tolerationSeconds !== undefined ? `@${t.tolerationSeconds}` : ""}`);

  test("adds the daemon tolerations after the template's", () => {
    expect(keys(daemonPodTolerations({ tolerations: [{ key: "dedicated", operator: "Exists" }] }))).toEqual([
      "dedicated:*",
      "node.kubernetes.io/not-ready:NoExecute",
      "node.kubernetes.io/unreachable:NoExecute",
      "node.kubernetes.io/disk-pressure:NoSchedule",
      "node.kubernetes.io/memory-pressure:NoSchedule",
      "node.kubernetes.io/pid-pressure:NoSchedule",
      "node.kubernetes.io/unschedulable:NoSchedule",
    ]);
  });

  test("host-network pods also tolerate network-unavailable", () => {
    expect(keys(daemonPodTolerations({ hostNetwork: true })).at(-1)).toBe("node.kubernetes.io/network-unavailable:NoSchedule");
  });

  test("an equal toleration is replaced in place, not duplicated", () => {
    const got = daemonPodTolerations({ tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }] });
    expect(keys(got).filter((k) => k.startsWith("node.kubernetes.io/not-ready"))).toEqual(["node.kubernetes.io/not-ready:NoExecute"]);
    expect(keys(got)[0]).toBe("node.kubernetes.io/not-ready:NoExecute");
  });
});

describe("nodeShouldRunDaemonPod", () => {
  const spec = (extra: object = {}) => {
    const s = PodSpec.parse({ containers: [{ name: "a", image: "busybox" }], ...extra });
    return { ...s, tolerations: daemonPodTolerations(s) };
  };
  const node = (extra: { labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean } = {}) =>
    Node.parse({ metadata: { name: "pi-1", labels: extra.labels }, spec: { taints: extra.taints, unschedulable: extra.unschedulable } });
  const cases: [string, ReturnType<typeof spec>, Node, string][] = [
    ["a plain node", spec(), node(), "run"],
    ["nodeSelector matches", spec({ nodeSelector: { zone: "a" } }), node({ labels: { zone: "a" } }), "run"],
    ["nodeSelector misses", spec({ nodeSelector: { zone: "a" } }), node({ labels: { zone: "b" } }), "no"],
    ["template nodeName is another node", spec({ nodeName: "pi-2" }), node(), "no"],
    ["template nodeName is this node", spec({ nodeName: "pi-1" }), node(), "run"],
    ["untolerated NoSchedule: keep, create none", spec(), node({ taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] }), "keep"],
    ["untolerated NoExecute", spec(), node({ taints: [{ key: "dedicated", value: "db", effect: "NoExecute" }] }), "no"],
    ["PreferNoSchedule is ignored", spec(), node({ taints: [{ key: "dedicated", effect: "PreferNoSchedule" }] }), "run"],
    [
      "tolerated NoSchedule",
      spec({ tolerations: [{ key: "dedicated", operator: "Equal", value: "db", effect: "NoSchedule" }] }),
      node({ taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] }),
      "run",
    ],
    ["cordoned node (unschedulable taint)", spec(), node({ unschedulable: true, taints: [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }] }), "run"],
    ["not-ready node", spec(), node({ taints: [{ key: "node.kubernetes.io/not-ready", effect: "NoExecute" }] }), "run"],
    ["memory pressure", spec(), node({ taints: [{ key: "node.kubernetes.io/memory-pressure", effect: "NoSchedule" }] }), "run"],
    ["network unavailable without hostNetwork", spec(), node({ taints: [{ key: "node.kubernetes.io/network-unavailable", effect: "NoSchedule" }] }), "keep"],
    ["network unavailable with hostNetwork", spec({ hostNetwork: true }), node({ taints: [{ key: "node.kubernetes.io/network-unavailable", effect: "NoSchedule" }] }), "run"],
  ];
  test.each(cases)("%s", (_name, s, n, want) => {
    const e = nodeShouldRunDaemonPod(s, n);
    expect(e.shouldRun ? "run" : e.shouldContinueRunning ? "keep" : "no").toBe(want);
  });
});
