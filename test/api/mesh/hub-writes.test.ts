// What agents write through the mesh, on a real hub (see mesh-fixture.ts):
// their Node, their pods' status and their Events, and never another node's;
// frames of the wrong shape are refused by the parsers.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { TugError } from "../../../core/errors.ts";
import { parseServerMessage } from "../../../core/mesh/messages.ts";
import type { KubeObject } from "../../../core/resources/object.ts";
import { startControllerHarness, type ControllerHarness } from "../../controllers/harness.ts";
import { codeOf, eventually } from "../../support.ts";
import { podMaker, RawAgent, startHub, type TestHub } from "./mesh-fixture.ts";

let h: ControllerHarness;
const logs: string[] = [];
let main: TestHub;
let pod: ReturnType<typeof podMaker>;

beforeAll(async () => {
  h = await startControllerHarness(() => []);
  main = startHub(h, { "tok-w": "node-w" }, logs);
  pod = podMaker(h.registry);
});

afterAll(async () => {
  await main.stop();
  await h.stop();
});

describe("agent writes", () => {
  test("node-status creates and updates the Node; pod-statuses reach the store, but not for another node's pod", async () => {
    const w = await RawAgent.connect(main.url, "tok-w");
    w.send({ type: "hello", node: "node-w" });
    await w.next("snapshot");
    w.send({ type: "node-status", id: 1, labels: { role: "edge" }, annotations: {}, status: { addresses: [{ type: "InternalIP", address: "10.0.0.9" }] } });
    const reply = await w.next("node");
    expect(reply.id).toBe(1);
    expect(reply.node.metadata.name).toBe("node-w");
    const stored = await h.registry.get("Node", "", "node-w");
    expect(stored.metadata.labels).toEqual({ role: "edge" });
    expect((stored.status as { addresses: unknown[] }).addresses).toEqual([{ type: "InternalIP", address: "10.0.0.9" }]);

    const own = await pod("node-w");
    const other = await pod("node-b");
    w.send({
      type: "pod-statuses",
      id: 2,
      items: [
        { namespace: "default", name: own.metadata.name!, uid: own.metadata.uid!, status: { phase: "Running" } },
        { namespace: "default", name: other.metadata.name!, uid: other.metadata.uid!, status: { phase: "Failed" } },
        { namespace: "default", name: "no-such-pod", uid: "x", status: { phase: "Running" } },
      ],
    });
    expect(await w.next("done")).toEqual({ type: "done", id: 2 });
    expect(((await h.registry.get("Pod", "default", own.metadata.name!)).status as { phase?: string }).phase).toBe("Running");
    expect(((await h.registry.get("Pod", "default", other.metadata.name!)).status as { phase?: string }).phase).not.toBe("Failed");
    expect(logs.some((l) => l.includes(`node-w reported the status of pod default/${other.metadata.name}`))).toBe(true);
    // A route change of a node reaches the agents as a delta.
    await h.registry.patch("Node", "", "node-w", "application/merge-patch+json", { spec: { podCIDR: "10.42.9.0/24" } });
    const route = await w.next("delta");
    expect(route.routes).toEqual([{ name: "node-w", podCIDR: "10.42.9.0/24", internalIP: "10.0.0.9" }]);
    w.close();
  });

  test("events about the node's own pods and Node are written as kubelet's, repeats folded into count; others are ignored", async () => {
    const w = await RawAgent.connect(main.url, "tok-w");
    w.send({ type: "hello", node: "node-w" });
    await w.next("snapshot");
    const own = await pod("node-w");
    const other = await pod("node-b");
    const node = await h.registry.get("Node", "", "node-w");
    const about = (p: KubeObject, reason: string, count: number) => ({
      kind: "Pod" as const,
      namespace: "default",
      name: p.metadata.name!,
      uid: p.metadata.uid!,
      fieldPath: "spec.containers{c}",
      type: "Warning" as const,
      reason,
      message: "Back-off restarting failed container",
      count,
    });
    w.send({
      type: "events",
      items: [
        about(own, "BackOff", 3),
        about(other, "BackOff", 1),
        { kind: "Node", namespace: "", name: "node-w", uid: node.metadata.uid!, type: "Normal", reason: "Starting", message: "Starting tug agent.", count: 1 },
        { kind: "Node", namespace: "", name: "node-b", uid: "x", type: "Normal", reason: "Starting", message: "Starting tug agent.", count: 1 },
      ],
    });
    const eventsOf = async (name: string, namespace = "default") =>
      (await h.registry.list("Event", { namespace })).items.filter((e) => (e.involvedObject as { name: string }).name === name) as any[];
    const [backOff] = await eventually(() => eventsOf(own.metadata.name!), (l) => l.length === 1);
    expect(backOff).toMatchObject({
      type: "Warning",
      reason: "BackOff",
      count: 3,
      source: { component: "kubelet", host: "node-w" },
      involvedObject: { kind: "Pod", name: own.metadata.name, uid: own.metadata.uid, fieldPath: "spec.containers{c}" },
    });
    // The same event again adds to the count of the one Event.
    w.send({ type: "events", items: [about(own, "BackOff", 2)] });
    expect((await eventually(() => eventsOf(own.metadata.name!), (l) => l[0]?.count === 5))[0].count).toBe(5);
    const [starting] = await eventually(() => eventsOf("node-w"), (l) => l.length === 1);
    expect(starting).toMatchObject({ reason: "Starting", involvedObject: { kind: "Node", name: "node-w" }, source: { host: "node-w" } });
    expect(await eventsOf(other.metadata.name!)).toEqual([]);
    expect(await eventsOf("node-b")).toEqual([]);
    expect(logs.some((l) => l.includes(`node-w sent an event about Pod default/${other.metadata.name}`))).toBe(true);
    // A pod deleted a moment ago still gets the events its node sends while stopping it; a made-up uid does not.
    await h.registry.delete("Pod", "default", own.metadata.name!);
    await eventually(async () => h.informer.get("Pod", "default", own.metadata.name!), (p) => p === undefined);
    w.send({ type: "events", items: [{ ...about(own, "Killing", 1), type: "Normal", message: "Stopping container c" }, { ...about(own, "Killing", 1), uid: "made-up", type: "Normal", message: "Stopping container x" }] });
    const killing = await eventually(async () => (await eventsOf(own.metadata.name!)).filter((e) => e.reason === "Killing"), (l) => l.length > 0);
    expect(killing.map((e) => e.message)).toEqual(["Stopping container c"]);
    w.close();
  });

  test("garbage is refused by the parsers with BadRequest", async () => {
    const { parseAgentMessage } = await import("../../../core/mesh/messages.ts");
    const badEvent = '{"type":"events","items":[{"kind":"Secret","namespace":"","name":"n","uid":"u","type":"Normal","reason":"r","message":"m","count":1}]}';
    for (const text of ["not json", "{}", '{"type":"ack"}', '{"type":"ack","rv":-1}', '{"type":"hello"}', '{"type":"logs-end","id":"1","code":"Nope"}', badEvent]) {
      expect(await codeOf(Promise.resolve().then(() => parseAgentMessage(text)))).toBe("BadRequest");
    }
    expect(() => parseServerMessage('{"type":"delta","rv":1,"upserts":[{"kind":"Pod"}],"deletes":[]}')).toThrow(TugError);
  });
});
