// ServiceAccount tokens over the mesh: a real Bun.serve with the hub, real
// WebSockets (a raw client and the agent's MeshLink), real ServiceAccountTokens
// and the registry over LMDB. A node gets tokens for its own pods only, bound
// to the pod, for the pod's ServiceAccount.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ServiceAccountTokens } from "../../../api/auth/service-account-tokens.ts";
import { parseServerMessage, type AgentMessage } from "../../../core/mesh/messages.ts";
import { MeshLink } from "../../../node-agent/link/mesh-link.ts";
import { startControllerHarness, type ControllerHarness } from "../../controllers/harness.ts";
import { eventually } from "../../support.ts";
import { RawAgent, startHub, type TestHub } from "./mesh-fixture.ts";

const TOKENS: Record<string, string> = { "tok-a": "node-a", "tok-b": "node-b" };
const CA = "-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n";

let h: ControllerHarness;
let keyDir: string;
let tokens: ServiceAccountTokens;
const logs: string[] = [];

let main: TestHub;

beforeAll(async () => {
  h = await startControllerHarness(() => []);
  keyDir = mkdtempSync(join(tmpdir(), "tug-sa-key-"));
  tokens = await ServiceAccountTokens.open(keyDir);
  main = startHub(h, TOKENS, logs, { serviceAccountTokens: tokens, caPem: CA });
  await h.registry.create("ServiceAccount", "default", { metadata: { name: "default" } });
  await h.registry.create("ServiceAccount", "default", { metadata: { name: "robot" } });
});

afterAll(async () => {
  await main.stop();
  await h.stop();
  rmSync(keyDir, { recursive: true, force: true });
});

/** A hand-driven agent that has said hello and taken its snapshot. */
async function rawAgent(url: string, token: string, node: string) {
  const agent = await RawAgent.connect(url, token);
  const frames = agent.frames;
  const send = (m: AgentMessage) => agent.send(m);
  send({ type: "hello", node });
  await eventually(() => frames.some((f) => f.type === "snapshot"), (x) => x, 5000);
  /** Sends a token request and returns the answer to it. */
  const ask = async (id: number, namespace: string, pod: string) => {
    send({ type: "sa-token-request", id, namespace, pod });
    const reply = await eventually(() => frames.find((f) => (f.type === "sa-token" || f.type === "done") && f.id === id), (f) => f !== undefined, 5000);
    if (!reply) throw new Error(`no answer to request ${id}`);
    return reply;
  };
  return { ask, close: () => agent.close() };
}

async function pod(name: string, node: string, serviceAccountName?: string) {
  const p = await h.registry.create("Pod", "default", {
    metadata: { name },
    spec: { nodeName: node, ...(serviceAccountName ? { serviceAccountName } : {}), containers: [{ name: "c", image: "busybox" }] },
  });
  // The hub answers from the informer.
  await eventually(() => h.informer.get("Pod", "default", name), (o) => o !== undefined);
  return p;
}

describe("sa-token-request", () => {
  test("a node gets a token for its own pod, bound to the pod, for the pod's ServiceAccount, with the CA", async () => {
    const mine = await pod("sa-mine", "node-a");
    const robot = await pod("sa-robot", "node-a", "robot");
    const a = await rawAgent(main.url, "tok-a", "node-a");
    try {
      const reply = await a.ask(1, "default", "sa-mine");
      if (reply.type !== "sa-token") throw new Error(`expected a token, got ${JSON.stringify(reply)}`);
      expect(reply.caPem).toBe(CA);
      const lifetime = Date.parse(reply.expirationTimestamp) - Date.now();
      expect(lifetime).toBeGreaterThan(3500_000);
      expect(lifetime).toBeLessThanOrEqual(3600_000);
      const who = await tokens.verify(reply.token);
      expect(who).toMatchObject({ namespace: "default", name: "default", pod: { name: "sa-mine", uid: mine.metadata.uid } });

      const other = await a.ask(2, "default", "sa-robot");
      if (other.type !== "sa-token") throw new Error(`expected a token, got ${JSON.stringify(other)}`);
      expect(await tokens.verify(other.token)).toMatchObject({ name: "robot", pod: { name: "sa-robot", uid: robot.metadata.uid } });
    } finally {
      a.close();
    }
  });

  test("a token for another node's pod, a missing pod or a missing ServiceAccount is refused", async () => {
    await pod("sa-theirs", "node-b");
    await pod("sa-ghost", "node-a", "ghost");
    const a = await rawAgent(main.url, "tok-a", "node-a");
    try {
      expect(await a.ask(1, "default", "sa-theirs")).toEqual({ type: "done", id: 1, error: "node node-a has no pod default/sa-theirs" });
      expect(await a.ask(2, "default", "no-such-pod")).toEqual({ type: "done", id: 2, error: "node node-a has no pod default/no-such-pod" });
      expect(await a.ask(3, "default", "sa-ghost")).toEqual({ type: "done", id: 3, error: `serviceaccount "ghost" not found in namespace default` });
    } finally {
      a.close();
    }
    // The owning node does get it.
    const b = await rawAgent(main.url, "tok-b", "node-b");
    try {
      expect((await b.ask(1, "default", "sa-theirs")).type).toBe("sa-token");
    } finally {
      b.close();
    }
  });

  test("a hub without a token issuer answers with an error", async () => {
    const bare = startHub(h, TOKENS, logs);
    await pod("sa-bare", "node-a");
    const a = await rawAgent(bare.url, "tok-a", "node-a");
    try {
      const reply = await a.ask(1, "default", "sa-bare");
      expect(reply).toEqual({ type: "done", id: 1, error: "this server issues no ServiceAccount tokens over the mesh" });
    } finally {
      a.close();
      await bare.stop();
    }
  });

  test("the parsers check the new frames", () => {
    expect(() => parseServerMessage('{"type":"sa-token","id":1,"token":"t","expirationTimestamp":"x"}')).toThrow("caPem: expected a string");
  });
});

describe("MeshLink.requestServiceAccountToken", () => {
  test("resolves with the token and the CA for its pod and rejects with the server's reason for another node's", async () => {
    await pod("sa-link", "node-a");
    const link = new MeshLink({ servers: [main.url], nodeName: "node-a", token: "tok-a", log: (l) => logs.push(l), minBackoffMs: 50 });
    link.start({ desired: () => undefined, connection: () => undefined });
    try {
      const t = await link.requestServiceAccountToken("default", "sa-link");
      expect(t.caPem).toBe(CA);
      expect((await tokens.verify(t.token))?.pod?.name).toBe("sa-link");
      expect(link.apiServerUrl()).toBe(main.url);
      expect(await link.requestServiceAccountToken("default", "sa-theirs").then(() => "ok", (e: Error) => e.message)).toBe("node node-a has no pod default/sa-theirs");
    } finally {
      await link.close();
    }
  });
});
