// The verbs that need a running pod, against a real server with a real agent
// on containerd (CNI networking, the busybox test image): `tug logs` (plain,
// --tail, -f streaming, deploy/NAME), `get -o wide` of a running pod, and
// `rollout status` finishing once the pod is ready.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestServer } from "../api/harness.ts";
import { startServerWithAgent, type ServerWithAgent } from "../node-agent/agent-fixture.ts";
import { missing, NEED_BUSYBOX, NEED_CNI, NEED_CONTAINERD, NEED_ROOT } from "../node-agent/requirements.ts";
import { TEST_IMAGE } from "../node-agent/test-image.ts";
import { eventually } from "../support.ts";
import { tug, tugStreaming } from "./cli-harness.ts";

const skip = missing([NEED_ROOT, NEED_CONTAINERD, NEED_CNI, NEED_BUSYBOX], "tug logs with an agent");

describe.skipIf(!!skip)("verbs with a running pod", () => {
  let fx: ServerWithAgent | undefined;
  let server: TestServer;
  let kc: string;
  let NS: string;
  let NODE: string;
  const cli = (args: string[]) => tug(kc, [...args, "-n", NS]);

  beforeAll(async () => {
    fx = await startServerWithAgent("logs");
    ({ server, namespace: NS, node: NODE } = fx);
    kc = server.kubeconfig;
  }, 60_000);

  afterAll(async () => {
    // the deployment and its ReplicaSet first, so nothing recreates the pods deleted next
    await fx?.stop(async (s) => {
      await s.call("DELETE", `/apis/apps/v1/namespaces/${NS}/deployments/ticker`);
      await eventually(async () => (await s.call("GET", `/apis/apps/v1/namespaces/${NS}/replicasets`)).body.items.length, (n) => n === 0, 15_000);
      await s.call("DELETE", `/api/v1/namespaces/${NS}/pods`);
    });
  }, 60_000);

  test("apply a deployment; rollout status follows it to done; get -o wide shows it running", async () => {
    const manifest = JSON.stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "ticker" },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "ticker" } },
        template: {
          metadata: { labels: { app: "ticker" } },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "tick", image: TEST_IMAGE, command: ["sh", "-c", "echo first; echo second; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.5; done"] }] },
        },
      },
    });
    expect(await tug(kc, ["apply", "-f", "-", "-n", NS], { stdin: manifest })).toMatchObject({ code: 0, stdout: "deployment.apps/ticker created\n" });
    const status = await cli(["rollout", "status", "deploy/ticker", "--timeout", "60s"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toEndWith('deployment "ticker" successfully rolled out\n');
    const wide = await cli(["get", "pods", "-o", "wide"]);
    expect(wide.stdout).toMatch(new RegExp(`\\nticker-\\S+\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+10\\.42\\.\\d+\\.\\d+\\s+${NODE}\\s+<none>\\s+<none>\\n`));
  }, 90_000);

  test("logs: whole, --tail, deploy/NAME, and -f streaming new lines", async () => {
    const pod = (await server.call("GET", `/api/v1/namespaces/${NS}/pods?labelSelector=app=ticker`)).body.items[0].metadata.name as string;
    const all = await eventually(() => cli(["logs", pod]), (r) => r.stdout.includes("tick 2"));
    expect(all.code).toBe(0);
    expect(all.stdout).toStartWith("first\nsecond\ntick 1\n");
    const tail = await cli(["logs", pod, "--tail", "1"]);
    expect(tail.stdout).toMatch(/^tick \d+\n$/);
    expect((await cli(["logs", "deploy/ticker", "--tail", "1"])).stdout).toMatch(/^tick \d+\n$/);
    expect((await cli(["logs", pod, "-c", "nope"])).stderr).toBe(`error: container nope is not valid for pod ${pod}\n`);

    const follow = tugStreaming(kc, ["logs", "-f", pod, "--tail", "1", "-n", NS]);
    try {
      const first = Number(/tick (\d+)/.exec(await follow.waitFor(/tick \d+\n/))![1]);
      // lines written after the command started arrive while it runs
      await follow.waitFor(new RegExp(`tick ${first + 2}\n`), 15_000);
    } finally {
      await follow.stop();
    }
  }, 60_000);
});
