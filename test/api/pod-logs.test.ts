// The pods/log subresource's answers that need no agent: every mistake is a
// Status with the right code and a message naming what is wrong.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./harness.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer(undefined, { disableControllerManager: true, disableScheduler: true });
  await s.call("POST", "/api/v1/nodes", { metadata: { name: "n-no-agent" } });
  const containers = [
    { name: "a", image: "x:1" },
    { name: "b", image: "x:1" },
  ];
  await s.call("POST", "/api/v1/namespaces/default/pods", { metadata: { name: "unbound" }, spec: { containers: [containers[0]] } });
  await s.call("POST", "/api/v1/namespaces/default/pods", { metadata: { name: "two" }, spec: { nodeName: "n-no-agent", containers } });
  await s.call("POST", "/api/v1/namespaces/default/pods", { metadata: { name: "lost" }, spec: { nodeName: "gone", containers: [containers[0]] } });
});
afterAll(() => s.cleanup());

test.each([
  ["/api/v1/namespaces/default/pods/nope/log", 404, 'pods "nope" not found'],
  ["/api/v1/namespaces/default/pods/unbound/log", 400, "pod unbound does not have a host assigned"],
  ["/api/v1/namespaces/default/pods/two/log", 400, "a container name must be specified for pod two, choose one of: [a b]"],
  ["/api/v1/namespaces/default/pods/two/log?container=c", 400, "container c is not valid for pod two"],
  ["/api/v1/namespaces/default/pods/two/log?container=a&tailLines=x", 400, 'tailLines: must be an integer, not "x"'],
  ["/api/v1/namespaces/default/pods/two/log?container=a&follow=maybe", 400, 'follow: must be true or false, not "maybe"'],
  ["/api/v1/namespaces/default/pods/two/log?container=a", 503, "the agent of node n-no-agent is not connected"],
  ["/api/v1/namespaces/default/pods/lost/log", 503, "the agent of node gone is not connected"],
])("GET %s -> %d", async (path, code, message) => {
  const res = await s.call("GET", path);
  expect(res.status).toBe(code);
  expect(res.body.kind).toBe("Status");
  expect(res.body.message).toContain(message);
});

test("pods/log takes only GET", async () => {
  const res = await s.call("POST", "/api/v1/namespaces/default/pods/two/log", {});
  expect(res.status).toBe(405);
});

test("discovery lists pods/log", async () => {
  const res = await s.call("GET", "/api/v1");
  expect(res.body.resources.some((r: { name: string }) => r.name === "pods/log")).toBe(true);
});
