// ContainerProbes with real probes on this host (commands through `sh -c`,
// a Bun HTTP server) and 1 s periods. The scenarios run concurrently so the
// file takes a few seconds.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerProbeStatus, ContainerProbesOptions } from "../../../node-agent/probes/container-probes.ts";
import { ContainerProbes } from "../../../node-agent/probes/container-probes.ts";
import type { ProbeTarget } from "../../../node-agent/probes/probe-runner.ts";
import { containerPortResolver } from "../../../node-agent/probes/probe-runner.ts";
import { eventually } from "../../support.ts";
import { hostExec } from "./host-exec.ts";

let dir = "";
let http: ReturnType<typeof Bun.serve>;
const target: ProbeTarget = { podIP: "127.0.0.1", exec: hostExec, resolvePort: containerPortResolver() };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), `tug-probes-${process.pid}-`));
  http = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
});

afterAll(() => {
  void http.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh file path for one scenario. */
let n = 0;
function file(name: string): string {
  n += 1;
  return join(dir, `${n}-${name}`);
}

/** An exec probe that appends a line to `log` on each run, then runs `then`. */
function counting(log: string, then = "true") {
  return { command: ["sh", "-c", `echo run >> ${log}; ${then}`] };
}

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, "utf8").trim().split("\n") : [];
}

/** Starts a ContainerProbes that records every status it reports. */
function watch(probes: ContainerProbesOptions["probes"], extra: Partial<ContainerProbesOptions> = {}) {
  const seen: ContainerProbeStatus[] = [];
  const cp = new ContainerProbes({ probes, startedAt: Date.now(), target, now: Date.now, onChange: (s) => seen.push(s), ...extra });
  cp.start();
  const last = () => seen[seen.length - 1];
  const until = (ok: (s: ContainerProbeStatus) => boolean, ms = 5000) => eventually(() => cp.status, ok, ms);
  return { cp, seen, last, until };
}

describe("ContainerProbes", () => {
  test.concurrent("no probes: started and ready at once, reported once", () => {
    const w = watch({});
    w.cp.stop();
    expect(w.seen).toEqual([{ started: true, ready: true, livenessFailed: false, startupFailed: false }]);
  });

  test.concurrent("readiness follows its probe, unknown at first means not ready", async () => {
    const flag = file("ready");
    const w = watch({ readiness: { exec: { command: ["test", "-f", flag] }, periodSeconds: 1, failureThreshold: 1 } });
    try {
      expect(w.seen[0]).toEqual({ started: true, ready: false, livenessFailed: false, startupFailed: false });
      expect((await w.until((s) => s.message !== undefined)).message).toBe("Readiness probe failed: exit code 1");
      writeFileSync(flag, "");
      expect(await w.until((s) => s.ready)).toEqual({ started: true, ready: true, livenessFailed: false, startupFailed: false });
      unlinkSync(flag);
      expect(await w.until((s) => !s.ready)).toMatchObject({ ready: false, message: "Readiness probe failed: exit code 1" });
      expect(w.seen.map((s) => s.ready)).toEqual([false, false, true, false]);
    } finally {
      w.cp.stop();
    }
  });

  test.concurrent("a startup probe holds back liveness and readiness until it succeeds", async () => {
    const started = file("started");
    const liveRuns = file("live-runs");
    const w = watch({
      startup: { exec: { command: ["test", "-f", started] }, periodSeconds: 1, failureThreshold: 30 },
      liveness: { exec: counting(liveRuns), periodSeconds: 1 },
      readiness: { httpGet: { path: "/", port: http.port ?? 0 }, periodSeconds: 1 },
    });
    try {
      await Bun.sleep(1500);
      expect(w.cp.status).toEqual({ started: false, ready: false, livenessFailed: false, startupFailed: false });
      expect(lines(liveRuns)).toEqual([]);
      writeFileSync(started, "");
      expect(await w.until((s) => s.ready)).toEqual({ started: true, ready: true, livenessFailed: false, startupFailed: false });
      expect((await eventually(() => lines(liveRuns), (l) => l.length > 0)).length).toBeGreaterThan(0);
      // started is reported before ready: readiness is unknown (not ready) until its first run.
      expect(w.seen.map((s) => [s.started, s.ready])).toEqual([[false, false], [true, false], [true, true]]);
    } finally {
      w.cp.stop();
    }
  });

  test.concurrent("a startup probe failing failureThreshold times reports startupFailed; nothing else ever runs", async () => {
    const liveRuns = file("live-runs");
    const w = watch({
      startup: { exec: { command: ["sh", "-c", "echo not yet; exit 1"] }, periodSeconds: 1, failureThreshold: 2 },
      liveness: { exec: counting(liveRuns), periodSeconds: 1 },
    });
    try {
      const s = await w.until((s) => s.startupFailed);
      expect(s).toEqual({ started: false, ready: false, livenessFailed: false, startupFailed: true, message: "Startup probe failed: exit code 1: not yet" });
      await Bun.sleep(1200);
      expect(lines(liveRuns)).toEqual([]);
      expect(w.seen.length).toBe(2);
    } finally {
      w.cp.stop();
    }
  });

  test.concurrent("liveness failing failureThreshold times reports livenessFailed once, then holds", async () => {
    const runs = file("live-runs");
    const w = watch({ liveness: { exec: counting(runs, "exit 1"), periodSeconds: 1, failureThreshold: 2 } });
    try {
      expect(await w.until((s) => s.livenessFailed)).toEqual({ started: true, ready: true, livenessFailed: true, startupFailed: false, message: "Liveness probe failed: exit code 1" });
      await Bun.sleep(1300);
      expect(lines(runs)).toEqual(["run", "run"]);
      expect(w.seen.length).toBe(2);
    } finally {
      w.cp.stop();
    }
  });

  test.concurrent("initialDelaySeconds counts from the container's start", async () => {
    const runs = file("ready-runs");
    const w = watch({ readiness: { exec: counting(runs), initialDelaySeconds: 1, periodSeconds: 1 } });
    // A container that started 5 s ago is past a 1 s delay: its probe runs at once.
    const old = watch({ readiness: { exec: { command: ["true"] }, initialDelaySeconds: 1, periodSeconds: 1 } }, { startedAt: Date.now() - 5000 });
    try {
      await Bun.sleep(600);
      expect(lines(runs)).toEqual([]);
      expect(old.cp.status.ready).toBe(true);
      expect((await w.until((s) => s.ready)).ready).toBe(true);
    } finally {
      w.cp.stop();
      old.cp.stop();
    }
  });

  test.concurrent("runs of one probe never overlap, even when a run outlasts the period", async () => {
    const log = file("overlap");
    const w = watch({ readiness: { exec: { command: ["sh", "-c", `echo start >> ${log}; sleep 1.3; echo end >> ${log}`] }, periodSeconds: 1, timeoutSeconds: 3 } });
    try {
      await eventually(() => lines(log), (l) => l.filter((x) => x === "end").length >= 2, 6000);
    } finally {
      w.cp.stop();
    }
    const got = lines(log);
    expect(got.slice(0, 4)).toEqual(["start", "end", "start", "end"]);
    expect(w.cp.status.ready).toBe(true);
  });

  test.concurrent("stop() drops a run in flight and leaves no timer behind; it is idempotent", async () => {
    const runs = file("ready-runs");
    const w = watch({ readiness: { exec: counting(runs, "sleep 0.5"), periodSeconds: 1 } });
    await eventually(() => lines(runs), (l) => l.length === 1, 3000);
    w.cp.stop();
    w.cp.stop();
    await Bun.sleep(1600);
    expect(lines(runs)).toEqual(["run"]);
    // Only the initial report: the result of the run in flight was dropped.
    expect(w.seen).toEqual([{ started: true, ready: false, livenessFailed: false, startupFailed: false }]);
    w.cp.start(); // a stopped ContainerProbes does not come back
    await Bun.sleep(200);
    expect(lines(runs)).toEqual(["run"]);
  });

  test.concurrent("a throwing runtime is a failed run with a message; a throwing onChange goes to onError", async () => {
    const errors: unknown[] = [];
    const broken: ProbeTarget = {
      ...target,
      exec: () => Promise.reject(new Error("container is gone")),
    };
    let calls = 0;
    const w = watch(
      { readiness: { exec: { command: ["true"] }, periodSeconds: 1, failureThreshold: 1 } },
      {
        target: broken,
        onChange: () => {
          calls += 1;
          throw new Error("listener bug");
        },
        onError: (e) => errors.push(e),
      },
    );
    try {
      const s = await w.until((s) => s.message !== undefined);
      expect(s.message).toBe("Readiness probe failed: exec failed: container is gone");
      expect(calls).toBe(2);
      expect(errors.map((e) => (e instanceof Error ? e.message : e))).toEqual(["listener bug", "listener bug"]);
    } finally {
      w.cp.stop();
    }
  });
});
