// The mesh end to end: a real Bun.serve with the hub, real WebSockets (raw
// test clients and the agent's MeshLink), a real Registry over LMDB and the
// informer. Snapshot contents, deltas, resume from an ack, back-pressure,
// log relays, dead links and server failover. What agents write: hub-writes.test.ts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { MeshHub } from "../../../api/mesh/hub.ts";
import { TugError } from "../../../core/errors.ts";
import { MESH_PATH, type ServerMessage } from "../../../core/mesh/messages.ts";
import type { KubeObject } from "../../../core/resources/object.ts";
import type { DesiredState } from "../../../node-agent/link/agent-link.ts";
import { MeshLink } from "../../../node-agent/link/mesh-link.ts";
import { startControllerHarness, type ControllerHarness } from "../../controllers/harness.ts";
import { codeOf, eventually } from "../../support.ts";
import { podMaker, RawAgent, startHub as startTestHub, type TestHub } from "./mesh-fixture.ts";

const TOKENS: Record<string, string> = { "tok-a": "node-a", "tok-b": "node-b", "tok-r": "node-r", "tok-s": "node-s", "tok-l": "node-l", "tok-d": "node-d", "tok-f": "node-f" };

let h: ControllerHarness;
const logs: string[] = [];
const startHub = (opts: Partial<ConstructorParameters<typeof MeshHub>[0]> = {}) => startTestHub(h, TOKENS, logs, opts);
let main: TestHub;
let pod: ReturnType<typeof podMaker>;

beforeAll(async () => {
  h = await startControllerHarness(() => []);
  main = startHub();
  pod = podMaker(h.registry);
});

afterAll(async () => {
  await main.stop();
  await h.stop();
});

const names = (objs: KubeObject[]) => objs.map((o) => o.metadata.name).sort();

describe("connect", () => {
  test("an upgrade without a node credential is refused with 401", async () => {
    const headers = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" };
    for (const auth of [{}, { authorization: "Bearer wrong" }] as Record<string, string>[]) {
      const res = await fetch(main.url + MESH_PATH, { headers: { ...headers, ...auth } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { reason: string }).reason).toBe("Unauthorized");
    }
    expect(await RawAgent.connect(main.url, "wrong").then(() => "open", () => "refused")).toBe("refused");
  });

  test("the snapshot holds the node's pods and what they reference, not other nodes' pods or unreferenced secrets", async () => {
    await h.registry.create("ConfigMap", "default", { metadata: { name: "cm-a" }, data: { k: "v" } });
    await h.registry.create("Secret", "default", { metadata: { name: "sec-a" }, data: { k: "dg==" } });
    await h.registry.create("Secret", "default", { metadata: { name: "sec-unused" }, data: { k: "dg==" } });
    await h.registry.create("Service", "default", { metadata: { name: "svc-a" }, spec: { ports: [{ port: 80 }], selector: { app: "a" } } });
    await h.registry.create("Node", "", { metadata: { name: "node-b" }, spec: { podCIDR: "10.42.2.0/24" } });
    await pod("node-a", { name: "mine", configMap: "cm-a", secret: "sec-a" });
    await pod("node-b", { name: "theirs", secret: "sec-unused" });
    await pod(undefined, { name: "pending" });

    const a = await RawAgent.connect(main.url, "tok-a");
    a.send({ type: "hello", node: "node-a" });
    const snap = await a.next("snapshot");
    expect(snap.sessionId).toBe(main.hub.sessionId);
    expect(names(snap.pods)).toEqual(["mine"]);
    expect(names(snap.configMaps)).toEqual(["cm-a"]);
    expect(names(snap.secrets)).toEqual(["sec-a"]);
    expect(names(snap.services)).toContain("svc-a");
    expect(snap.nodes).toContainEqual({ name: "node-b", podCIDR: "10.42.2.0/24" });
    expect(main.hub.connected()).toContain("node-a");

    // A pod bound to the node later arrives as a delta, with the secret it references.
    await h.registry.create("Secret", "default", { metadata: { name: "sec-late" }, data: { k: "dg==" } });
    const created = await pod("node-a", { name: "later", secret: "sec-late" });
    const d = await a.next("delta");
    expect(d.rv).toBe(Number(created.metadata.resourceVersion));
    expect(d.upserts.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(["Pod/later", "Secret/sec-late"]);
    // Deleted: the pod leaves, and so does the secret no other pod needs.
    // Deleted: first marked Terminating (the agent stops its containers), then gone once the
    // node says so (the harness plays that agent), and the secret no other pod needs goes too.
    await h.registry.delete("Pod", "default", "later");
    const marked = await a.next("delta");
    expect(marked.upserts.map((o) => `${o.metadata.name} ${!!o.metadata.deletionTimestamp}`)).toEqual(["later true"]);
    const gone = await a.next("delta");
    expect(gone.deletes).toContainEqual({ kind: "Pod", namespace: "default", name: "later" });
    expect(gone.deletes).toContainEqual({ kind: "Secret", namespace: "default", name: "sec-late" });
    a.close();
  });

  test("a hello naming another node than the credential's is refused", async () => {
    const b = await RawAgent.connect(main.url, "tok-b");
    b.send({ type: "hello", node: "node-a" });
    await eventually(() => b.closed, (c) => c, 3000);
    expect(b.closed).toBe(true);
  });
});

describe("resume", () => {
  test("after an ack a reconnect gets only the missed deltas; an unknown ack or another server's session gets a snapshot", async () => {
    const r = await RawAgent.connect(main.url, "tok-r");
    r.send({ type: "hello", node: "node-r" });
    await r.next("snapshot");
    const p1 = await pod("node-r");
    const d1 = await r.next("delta");
    expect(d1.rv).toBe(Number(p1.metadata.resourceVersion));
    r.send({ type: "ack", rv: d1.rv });
    await eventually(() => main.hub.info("node-r")?.acked, (v) => v === d1.rv);
    r.close();
    await eventually(() => main.hub.connected().includes("node-r"), (c) => !c);

    // While it is away: one pod for it, one for someone else.
    const p2 = await pod("node-r");
    await pod("node-a");
    const again = await RawAgent.connect(main.url, "tok-r");
    again.send({ type: "hello", node: "node-r", lastAck: d1.rv, sessionId: main.hub.sessionId });
    const resume = await again.next("resume");
    expect(resume.rv).toBe(d1.rv);
    const missed = await again.next("delta");
    expect(names(missed.upserts)).toEqual([p2.metadata.name!]);
    await Bun.sleep(100);
    expect(again.frames.filter((f) => f.type === "delta" || f.type === "snapshot")).toEqual([]);
    again.close();

    for (const hello of [
      { lastAck: 999_999_999, sessionId: main.hub.sessionId },
      { lastAck: d1.rv, sessionId: "another-server" },
    ]) {
      const c = await RawAgent.connect(main.url, "tok-r");
      c.send({ type: "hello", node: "node-r", ...hello });
      const snap = await c.next("snapshot");
      expect(names(snap.pods)).toEqual([p1.metadata.name!, p2.metadata.name!].sort());
      c.close();
    }
  });

  test("a history past its bound gives a snapshot", async () => {
    const small = await startHub({ history: { maxDeltas: 2 } });
    try {
      const r = await RawAgent.connect(small.url, "tok-r");
      r.send({ type: "hello", node: "node-r" });
      const snap = await r.next("snapshot");
      r.close();
      for (let i = 0; i < 3; i++) await pod("node-r");
      expect(small.hub.info("node-r")).toBeUndefined();
      const c = await RawAgent.connect(small.url, "tok-r");
      c.send({ type: "hello", node: "node-r", lastAck: snap.rv, sessionId: small.hub.sessionId });
      expect((await c.next("snapshot")).pods.length).toBe(snap.pods.length + 3);
      c.close();
    } finally {
      small.hub.close();
      await small.server.stop(true);
    }
  });
});

describe("back-pressure", () => {
  test("a slow agent does not grow the server's buffer without bound and later gets one snapshot", async () => {
    const limit = 256 * 1024;
    const bp = await startHub({ maxBufferedBytes: limit });
    try {
      await h.registry.create("ConfigMap", "default", { metadata: { name: "big" }, data: { v: "0" } });
      await pod("node-s", { configMap: "big" });
      const s = await RawAgent.connect(bp.url, "tok-s");
      s.send({ type: "hello", node: "node-s" });
      await s.next("snapshot");
      s.ws.pause();
      const filler = "x".repeat(64 * 1024);
      let peak = 0;
      let writes = 0;
      // Writes until the hub gives up on deltas for this agent (the kernel's socket buffers fill first).
      while (!bp.hub.info("node-s")!.stale && writes < 1500) {
        await h.registry.replace("ConfigMap", "default", "big", { metadata: { name: "big" }, data: { v: String(++writes), filler } });
        peak = Math.max(peak, bp.hub.info("node-s")!.buffered);
      }
      for (let i = 0; i < 50; i++) {
        await h.registry.replace("ConfigMap", "default", "big", { metadata: { name: "big" }, data: { v: String(++writes), filler } });
        peak = Math.max(peak, bp.hub.info("node-s")!.buffered);
      }
      const info = bp.hub.info("node-s")!;
      expect(info.stale).toBe(true);
      // At most the limit plus the frame that crossed it (and a ping or two).
      expect(peak).toBeLessThan(limit + 80 * 1024);
      expect(info.historyBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
      s.ws.resume();
      const snap = await eventually(
        () => s.frames.filter((f): f is Extract<ServerMessage, { type: "snapshot" }> => f.type === "snapshot").at(-1),
        (f) => (f?.configMaps[0]?.data as { v?: string } | undefined)?.v === String(writes),
        15_000,
      );
      expect((snap?.configMaps[0]?.data as { v: string }).v).toBe(String(writes));
      const deltas = s.frames.filter((f) => f.type === "delta").length;
      expect(deltas).toBeLessThan(writes);
      expect(bp.hub.info("node-s")!.stale).toBe(false);
      s.close();
    } finally {
      bp.hub.close();
      await bp.server.stop(true);
    }
  }, 30_000);
});

describe("MeshLink", () => {
  test("follows the desired state, registers the node, reports pod status and relays logs", async () => {
    const desired: DesiredState[] = [];
    const link = new MeshLink({ servers: [main.url], nodeName: "node-l", token: "tok-l", log: (l) => logs.push(l), minBackoffMs: 50 });
    link.onLogsRequest(async (req, write, signal) => {
      if (req.pod === "missing") throw new TugError("NotFound", `pod "missing" is not running on node "node-l"`);
      write(`${req.container} line 1\n`);
      write("line 2\n");
      while (req.follow && !signal.aborted) {
        write("tick\n");
        await Bun.sleep(10);
      }
    });
    link.start({ desired: (s) => desired.push(s), connection: () => undefined });
    try {
      const p = await pod("node-l");
      await eventually(() => desired.at(-1)?.pods.map((x) => x.metadata.name), (n) => n?.includes(p.metadata.name!) ?? false);
      expect(desired.at(-1)!.services!.map((s) => s.metadata.name)).toContain("svc-a");
      // A Service change reaches the agent; its ConfigMaps/Secrets maps stay the same objects (pod files need no refresh).
      const before = desired.at(-1)!;
      await h.registry.create("Service", "default", { metadata: { name: "svc-l" }, spec: { ports: [{ port: 81 }], selector: { app: "l" } } });
      const after = await eventually(() => desired.at(-1)!, (d) => d.services!.some((s) => s.metadata.name === "svc-l"));
      expect(after.configMaps).toBe(before.configMaps);
      expect(after.secrets).toBe(before.secrets);
      // The agent acked what it applied.
      await eventually(() => main.hub.info("node-l")?.acked, (v) => v !== undefined && v >= Number(p.metadata.resourceVersion));

      const node = await link.upsertNode({ labels: { a: "b" }, annotations: {}, status: { nodeInfo: { architecture: "arm64" } } });
      expect(node.metadata.name).toBe("node-l");
      await link.reportPodStatuses([{ namespace: "default", name: p.metadata.name!, uid: p.metadata.uid!, status: { phase: "Running" } }]);
      expect(((await h.registry.get("Pod", "default", p.metadata.name!)).status as { phase?: string }).phase).toBe("Running");

      const query = { namespace: "default", pod: p.metadata.name!, container: "c", follow: false, previous: false, timestamps: false };
      expect(await new Response(await main.hub.logs("node-l", query)!).text()).toBe("c line 1\nline 2\n");
      expect(await codeOf(main.hub.logs("node-l", { ...query, pod: "missing" })!)).toBe("NotFound");
      expect(main.hub.logs("no-such-node", query)).toBeUndefined();
      // A follow ends on the agent when the reader goes away.
      const reader = (await main.hub.logs("node-l", { ...query, follow: true })!).getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toContain("line 1");
      await reader.cancel();
      const ticks = () => (link as unknown as { logs: Map<string, unknown> }).logs.size;
      await eventually(ticks, (n) => n === 0, 3000);
      expect(ticks()).toBe(0);
    } finally {
      await link.close();
    }
  });

  test("fails over past a refused and a silent server to the next one, and resumes after the server drops it", async () => {
    // A port nobody listens on.
    const gone = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const refused = `http://127.0.0.1:${gone.port}`;
    await gone.stop(true);
    // A server that accepts the WebSocket handshake and then says nothing, ever.
    const silent = Bun.listen<{ upgraded: boolean }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (sock) => void (sock.data = { upgraded: false }),
        data: (sock, data) => {
          const key = /sec-websocket-key: *(\S+)/i.exec(data.toString())?.[1];
          if (sock.data.upgraded || !key) return;
          sock.data.upgraded = true;
          const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
          sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        },
      },
    });
    const p = await pod("node-f");
    const desired: DesiredState[] = [];
    const ups: boolean[] = [];
    const link = new MeshLink({
      servers: [refused, `http://127.0.0.1:${silent.port}`, main.url],
      nodeName: "node-f",
      token: "tok-f",
      log: (l) => logs.push(l),
      minBackoffMs: 50,
      pingIntervalMs: 100,
      deadAfterMs: 500,
    });
    const started = Date.now();
    link.start({ desired: (s) => desired.push(s), connection: (up) => ups.push(up) });
    try {
      await eventually(() => desired.at(-1)?.pods.map((x) => x.metadata.name), (n) => n?.includes(p.metadata.name!) ?? false, 5000);
      expect(link.server).toContain(`127.0.0.1:${main.server.port}${MESH_PATH}`);
      // The silent server cost about deadAfterMs, not Bun's two-minute idle timeout.
      expect(Date.now() - started).toBeLessThan(3000);
      await eventually(() => main.hub.info("node-f")?.acked, (v) => v !== undefined);

      // The server side drops the link (a restart of the hub's socket): the link comes back and resumes.
      const before = desired.length;
      const sessions = (main.hub as unknown as { sessions: Map<string, { ws: { close(c: number): void } }> }).sessions;
      sessions.get("node-f")!.ws.close(1012);
      const p2 = await pod("node-f");
      await eventually(() => desired.at(-1)?.pods.map((x) => x.metadata.name), (n) => n?.includes(p2.metadata.name!) ?? false, 8000);
      expect(desired.length).toBeGreaterThan(before);
      expect(ups).toEqual([true, false, true]);
      expect(logs.some((l) => l.includes("resume mismatch"))).toBe(false);
    } finally {
      await link.close();
      silent.stop(true);
    }
  }, 20_000);
});

describe("dead links", () => {
  test("an agent that stops answering pings is dropped within the dead-link time", async () => {
    const fast = await startHub({ pingIntervalMs: 100, deadAfterMs: 400 });
    try {
      const d = await RawAgent.connect(fast.url, "tok-d");
      d.send({ type: "hello", node: "node-d" });
      await d.next("snapshot");
      // Alive while it answers pings.
      await Bun.sleep(700);
      expect(fast.hub.connected()).toContain("node-d");
      d.ws.pause();
      const paused = Date.now();
      await eventually(() => fast.hub.connected(), (c) => !c.includes("node-d"), 3000);
      expect(fast.hub.connected()).not.toContain("node-d");
      expect(Date.now() - paused).toBeLessThan(1000);
      expect(logs.some((l) => l.includes("node-d silent"))).toBe(true);
      d.ws.terminate();
    } finally {
      fast.hub.close();
      await fast.server.stop(true);
    }
  });
  test("pongs count as heartbeats (a Lease renewal), only after the hello", async () => {
    const beats: string[] = [];
    const fast = await startHub({ pingIntervalMs: 100, deadAfterMs: 2000, onHeartbeat: (n) => beats.push(n) });
    try {
      const d = await RawAgent.connect(fast.url, "tok-d");
      await Bun.sleep(350);
      expect(beats).toEqual([]);
      d.send({ type: "hello", node: "node-d" });
      await d.next("snapshot");
      const n = await eventually(() => beats.length, (x) => x >= 3, 3000);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(new Set(beats)).toEqual(new Set(["node-d"]));
      d.ws.terminate();
    } finally {
      fast.hub.close();
      await fast.server.stop(true);
    }
  });
});
