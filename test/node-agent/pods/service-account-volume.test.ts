// The ServiceAccount token volume on a real folder with a scripted token
// source and an injected clock: waiting, the files, refresh at 80% of the
// lifetime, keeping the token while the server is gone, and the API env.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServiceAccountToken } from "../../../node-agent/link/agent-link.ts";
import { apiServerEnv, SERVICE_ACCOUNT_MOUNT, ServiceAccountVolume } from "../../../node-agent/pods/service-account-volume.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const HOUR = 3600_000;

function setup() {
  const podDir = mkdtempSync(join(tmpdir(), "tug-sa-vol-"));
  dirs.push(podDir);
  const clock = { now: 1_000_000 };
  const answers: (ServiceAccountToken | Error)[] = [];
  const asked: string[] = [];
  const ready: number[] = [];
  const lines: string[] = [];
  let n = 0;
  const vol = new ServiceAccountVolume({
    podDir,
    namespace: "ns1",
    pod: "web",
    request: async (ns, pod) => {
      asked.push(`${ns}/${pod}`);
      const a = answers.shift() ?? new Error("server unreachable");
      if (a instanceof Error) throw a;
      return a;
    },
    now: () => clock.now,
    onReady: () => ready.push(++n),
    log: (l) => lines.push(l),
  });
  const token = (t: string, lifetimeMs = HOUR): ServiceAccountToken => ({ token: t, expirationTimestamp: new Date(clock.now + lifetimeMs).toISOString(), caPem: "CA" });
  /** check() until the background fetch it started is settled. */
  const settle = async () => {
    const before = asked.length;
    vol.check();
    await Bun.sleep(5);
    return asked.length - before;
  };
  return { podDir, clock, answers, asked, ready, lines, vol, token, settle };
}

describe("ServiceAccountVolume", () => {
  test("waits with a message while the server cannot be reached, retries with back-off, then writes the three files", async () => {
    const s = setup();
    expect(await s.settle()).toBe(1);
    expect(s.vol.check()).toBe("waiting for a ServiceAccount token: server unreachable");
    // Not asked again before the retry is due.
    expect(await s.settle()).toBe(0);
    s.clock.now += 1000;
    s.answers.push(s.token("tok-1"));
    expect(await s.settle()).toBe(1);
    expect(s.vol.check()).toBeUndefined();
    expect(s.ready).toEqual([1]);
    const dir = join(s.podDir, "volumes", "serviceaccount");
    expect(readFileSync(join(dir, "token"), "utf8")).toBe("tok-1");
    expect(readFileSync(join(dir, "ca.crt"), "utf8")).toBe("CA");
    expect(readFileSync(join(dir, "namespace"), "utf8")).toBe("ns1");
    expect(statSync(join(dir, "token")).mode & 0o777).toBe(0o644);
    // Files are links through ..data, as configMap volumes.
    expect(readlinkSync(join(dir, "token"))).toBe("..data/token");
    expect(s.vol.mount()).toEqual({ hostPath: dir, containerPath: SERVICE_ACCOUNT_MOUNT, readOnly: true });
    expect(s.asked).toEqual(["ns1/web", "ns1/web"]);
  });

  test("refreshes after 80% of the lifetime; a failed refresh keeps the token and retries", async () => {
    const s = setup();
    s.answers.push(s.token("tok-1"));
    await s.settle();
    s.clock.now += 0.79 * HOUR;
    expect(await s.settle()).toBe(0);
    s.clock.now += 0.02 * HOUR;
    // The server is gone: the pod keeps its token.
    expect(await s.settle()).toBe(1);
    expect(s.vol.check()).toBeUndefined();
    const dir = join(s.podDir, "volumes", "serviceaccount");
    expect(readFileSync(join(dir, "token"), "utf8")).toBe("tok-1");
    expect(s.lines.filter((l) => l.includes("keeping the current one"))).toHaveLength(1);
    s.clock.now += 1000;
    s.answers.push(s.token("tok-2"));
    expect(await s.settle()).toBe(1);
    expect(readFileSync(join(dir, "token"), "utf8")).toBe("tok-2");
    // onReady is for the first token only.
    expect(s.ready).toEqual([1]);
  });

  test("a token whose expiry is already past (skewed clocks) is not fetched again in a loop", async () => {
    const s = setup();
    s.answers.push(s.token("tok-1", -HOUR));
    await s.settle();
    s.clock.now += 30_000;
    expect(await s.settle()).toBe(0);
    s.clock.now += 31_000;
    expect(await s.settle()).toBe(1);
  });

  test("a token already on disk (an earlier agent run) lets the pod start offline; after close nothing is written", async () => {
    const s = setup();
    s.answers.push(s.token("tok-1"));
    await s.settle();
    const again = new ServiceAccountVolume({ podDir: s.podDir, namespace: "ns1", pod: "web", request: async () => Promise.reject(new Error("offline")), now: () => s.clock.now, onReady: () => undefined, log: () => undefined });
    expect(again.check()).toBeUndefined();

    const late = setup();
    let answer: (t: ServiceAccountToken) => void = () => undefined;
    const closing = new ServiceAccountVolume({ podDir: late.podDir, namespace: "ns1", pod: "web", request: () => new Promise((r) => (answer = r)), now: () => late.clock.now, onReady: () => undefined, log: () => undefined });
    closing.check();
    closing.close();
    answer(late.token("tok-late"));
    await Bun.sleep(5);
    expect(existsSync(join(late.podDir, "volumes"))).toBe(false);
  });
});

describe("apiServerEnv", () => {
  test.each([
    ["https://10.0.0.5:6443", "192.168.1.2", "10.0.0.5", "6443"],
    ["https://server.lan", "192.168.1.2", "server.lan", "443"],
    ["https://127.0.0.1:6443", "192.168.1.2", "192.168.1.2", "6443"],
    ["https://[::1]:6443", "192.168.1.2", "192.168.1.2", "6443"],
    ["https://[fd00::1]:6443", "192.168.1.2", "fd00::1", "6443"],
  ])("%s on a node at %s -> %s:%s", (url, hostIP, host, port) => {
    expect(apiServerEnv(url, hostIP)).toEqual([
      { name: "KUBERNETES_SERVICE_HOST", value: host },
      { name: "KUBERNETES_SERVICE_PORT", value: port },
    ]);
  });

  test("no server URL, no env", () => {
    expect(apiServerEnv(undefined, "1.2.3.4")).toEqual([]);
  });
});

