// The ContainerRuntime conformance suite: one set of behaviours that every
// driver (containerd via ctr, Docker via its Engine API) must show on a real
// daemon. A driver's test file calls `runtimeConformance(...)` once.
//
// Everything it creates carries `tug.node=conformance-<pid>-<name>` and ids that
// include the pid, so parallel runs never collide; afterAll removes it all.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBusyboxImage } from "../../../node-agent/images/image-archive.ts";
import {
  LABEL_CONTAINER,
  LABEL_NODE,
  LABEL_POD_UID,
  RuntimeError,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerState,
  type Labels,
  type LogOptions,
  type Sandbox,
} from "../../../node-agent/runtime/runtime.ts";
import { eventually } from "../../support.ts";
import { missing, type Need } from "../requirements.ts";
import { TEST_IMAGE, TEST_PAGE, testImageTar } from "../test-image.ts";

/** An image with both ENTRYPOINT and CMD, to check the Kubernetes command/args rules. */
export const ENTRY_IMAGE = "tug.test/entry:1";

async function entryImageTar(): Promise<string> {
  const dir = join(tmpdir(), "tug-test-images");
  const out = join(dir, "entry-1.tar");
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    await buildBusyboxImage({ tag: ENTRY_IMAGE, entrypoint: ["/bin/echo", "ep"], cmd: ["from-cmd"] }, `${out}.tmp.${process.pid}`);
    await Bun.$`mv ${out}.tmp.${process.pid} ${out}`;
  }
  return out;
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z /;

export function runtimeConformance(name: string, make: () => Promise<ContainerRuntime>, needs: Need[]): void {
  const skip = missing(needs, `runtime conformance (${name})`);

  describe.skipIf(!!skip)(`ContainerRuntime conformance: ${name}`, () => {
    const run = `${process.pid}`;
    const node = `conformance-${run}-${name}`;
    const otherNode = `${node}-other`;
    const mine: Labels = { [LABEL_NODE]: node };
    let rt: ContainerRuntime;
    let dir: string;
    let sandbox: Sandbox;
    let seq = 0;

    const cid = (what: string) => `tugc-${run}-${what}-${++seq}`;
    const logPath = (id: string) => join(dir, `${id}.log`);

    function spec(what: string, command: string[] | undefined, extra: Partial<ContainerSpec> = {}): ContainerSpec {
      const id = cid(what);
      return {
        id,
        image: TEST_IMAGE,
        command,
        env: [],
        mounts: [],
        ...extra,
        labels: { ...mine, [LABEL_CONTAINER]: what, ...extra.labels },
      };
    }

    async function start(s: ContainerSpec, sb: Sandbox = sandbox): Promise<string> {
      await rt.startContainer(sb, s, logPath(s.id));
      return s.id;
    }

    async function stateOf(id: string, labels: Labels = mine): Promise<ContainerState | undefined> {
      return (await rt.listContainers(labels)).find((c) => c.id === id);
    }

    async function waitState(id: string, state: ContainerState["state"], timeoutMs = 10_000): Promise<ContainerState> {
      const s = await eventually(() => stateOf(id), (c) => c?.state === state, timeoutMs);
      expect(s?.state).toBe(state);
      return s as ContainerState;
    }

    async function logText(id: string, opts: Partial<LogOptions> = {}): Promise<string> {
      let text = "";
      for await (const line of rt.logs(id, logPath(id), { follow: false, timestamps: false, ...opts })) text += line;
      return text;
    }

    /** Logs once they contain `want` (the logger may lag the exit by a few ms). */
    async function logsWith(id: string, want: string, opts: Partial<LogOptions> = {}): Promise<string> {
      return eventually(() => logText(id, opts), (t) => t.includes(want), 5_000);
    }

    async function errorOf(p: Promise<unknown>): Promise<RuntimeError> {
      try {
        await p;
      } catch (e) {
        if (e instanceof RuntimeError) return e;
        throw e;
      }
      throw new Error("expected a RuntimeError");
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), `tug-conformance-${name}-`));
      rt = await make();
      await rt.importImage(await testImageTar());
      await rt.importImage(await entryImageTar());
      sandbox = await rt.createSandbox({ id: `tugs-${run}-main`, hostname: "main", hostNetwork: false, labels: { ...mine, [LABEL_POD_UID]: "main" } });
    }, 60_000);

    afterAll(async () => {
      if (!rt) return;
      for (const labels of [mine, { [LABEL_NODE]: otherNode }]) {
        for (const c of await rt.listContainers(labels)) await rt.removeContainer(c.id);
        for (const s of await rt.listSandboxes(labels)) await rt.removeSandbox(s.id);
      }
      await rt.close();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    test("version names the runtime", async () => {
      expect(await rt.version()).toMatch(new RegExp(`^${rt.name}://\\d+\\.\\d+`));
    });

    test("images: import, has, list; a missing image is absent and its pull fails with ErrImagePull", async () => {
      const refs = await rt.importImage(await testImageTar());
      expect(refs.some((r) => r.endsWith(TEST_IMAGE))).toBe(true);
      expect(await rt.hasImage(TEST_IMAGE)).toBe(true);
      const listed = await rt.listImages();
      const img = listed.find((i) => i.refs.some((r) => r.endsWith(TEST_IMAGE)));
      expect(img?.id).toBeTruthy();
      expect(img?.sizeBytes).toBeGreaterThan(0);

      // Nothing listens on port 1: the pull fails at once, with no DNS or network needed.
      const missingRef = `127.0.0.1:1/tug-missing-${run}:1`;
      expect(await rt.hasImage(missingRef)).toBe(false);
      expect(await rt.hasImage(`tug.test/missing-${run}:1`)).toBe(false);
      const err = await errorOf(rt.pullImage(missingRef));
      expect(err.reason).toBe("ErrImagePull");
      expect(err.message.length).toBeGreaterThan(0);
      expect(err.message).not.toContain("\n");
    }, 30_000);

    test("sandbox: idempotent create, listed by label, its hostname, shared loopback between its containers", async () => {
      expect(sandbox.id).toBe(`tugs-${run}-main`);
      expect(sandbox.netnsPath).toBe(`/var/run/netns/tugs-${run}-main`);
      const again = await rt.createSandbox({ id: sandbox.id, hostname: "main", hostNetwork: false, labels: sandbox.labels });
      expect(again.netnsPath).toBe(sandbox.netnsPath);
      const listed = await rt.listSandboxes(mine);
      expect(listed.map((s) => s.id)).toEqual([sandbox.id]);
      expect(listed[0]?.labels[LABEL_POD_UID]).toBe("main");
      expect(await rt.listSandboxes({ [LABEL_NODE]: otherNode })).toEqual([]);

      const web = await start(spec("web", ["httpd", "-f", "-p", "8080", "-h", "/www"]));
      const client = await start(
        spec("client", ["sh", "-c", "for i in $(seq 1 50); do wget -qO- http://127.0.0.1:8080/ && exit 0; sleep 0.1; done; exit 1"]),
      );
      const done = await waitState(client, "exited");
      expect(done.exitCode).toBe(0);
      expect(await logsWith(client, TEST_PAGE)).toContain(TEST_PAGE);
      expect((await stateOf(web))?.state).toBe("running");
      await rt.removeContainer(client);
      await rt.removeContainer(web);

      const host = await start(spec("hostname", ["hostname"]));
      expect((await waitState(host, "exited")).exitCode).toBe(0);
      expect(await logsWith(host, "\n")).toBe("main\n");
    }, 30_000);

    test("env (later wins), args, workingDir, read-only and read-write bind mounts", async () => {
      const ro = join(dir, "ro");
      const rw = join(dir, "rw");
      mkdirSync(ro);
      mkdirSync(rw);
      writeFileSync(join(ro, "f"), "from-host\n");
      const id = await start(
        spec("env", ["sh", "-c"], {
          args: ['echo "A=$A B=$B"; echo "cwd=$(pwd)"; cat /ro/f; echo written > /rw/out; touch /ro/x 2>/dev/null || echo ro-denied; echo "args=$0"', "arg0"],
          env: [
            { name: "A", value: "1" },
            { name: "B", value: "2" },
            { name: "B", value: "two words" },
          ],
          workingDir: "/tmp",
          mounts: [
            { hostPath: ro, containerPath: "/ro", readOnly: true },
            { hostPath: rw, containerPath: "/rw", readOnly: false },
          ],
        }),
      );
      expect((await waitState(id, "exited")).exitCode).toBe(0);
      const text = await logsWith(id, "args=");
      expect(text).toBe("A=1 B=two words\ncwd=/tmp\nfrom-host\nro-denied\nargs=arg0\n");
      expect(readFileSync(join(rw, "out"), "utf8")).toBe("written\n");
      expect(existsSync(join(ro, "x"))).toBe(false);
    }, 30_000);

    test("command replaces ENTRYPOINT, args replace CMD", async () => {
      const cases: [string, string[] | undefined, string[] | undefined, string][] = [
        ["image-defaults", undefined, undefined, "ep from-cmd\n"],
        ["args-only", undefined, ["a", "b"], "ep a b\n"],
        ["command-only", ["/bin/echo", "cmd"], undefined, "cmd\n"],
        ["both", ["/bin/echo", "cmd"], ["a"], "cmd a\n"],
      ];
      const ids = await Promise.all(cases.map(([what, command, args]) => start(spec(what, command, { image: ENTRY_IMAGE, args }))));
      for (const [i, id] of ids.entries()) {
        const want = cases[i]?.[3] ?? "";
        expect((await waitState(id, "exited")).exitCode).toBe(0);
        expect(await logsWith(id, want)).toBe(want);
      }
    }, 30_000);

    test("an exited container reports its exit code and times", async () => {
      const id = await start(spec("exit3", ["sh", "-c", "exit 3"]));
      const s = await waitState(id, "exited");
      expect(s.exitCode).toBe(3);
      expect(s.oomKilled ?? false).toBe(false);
      expect(s.labels[LABEL_CONTAINER]).toBe("exit3");
      expect(Date.parse(s.finishedAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
    }, 30_000);

    test("a command that does not exist fails with ContainerCannotRun and leaves nothing behind", async () => {
      const s = spec("nocmd", ["/no/such/command"]);
      const err = await errorOf(rt.startContainer(sandbox, s, logPath(s.id)));
      expect(err.reason).toBe("ContainerCannotRun");
      expect(err.message).not.toContain("\n");
      expect(err.message).toContain("/no/such/command");
      expect(await stateOf(s.id)).toBeUndefined();
    }, 30_000);

    test("a process above the memory limit is OOM-killed: exited, 137, oomKilled", async () => {
      const id = await start(spec("oom", ["dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"], { memoryLimitBytes: 32 * 1024 * 1024 }));
      const s = await waitState(id, "exited");
      expect(s.exitCode).toBe(137);
      expect(s.oomKilled).toBe(true);
    }, 30_000);

    test("a CPU limit is the container's CFS quota: 250m is 25 ms of every 100 ms", async () => {
      const s = spec("cpu", ["sleep", "30"], { cpuLimitMillis: 250 });
      s.env = [{ name: "TUG_CPU_PROBE", value: s.id }];
      const id = await start(s);
      await waitState(id, "running");
      // "running" may come a moment before the runtime's init has exec'd the command.
      const pid = await eventually(async () => hostPidWithEnv(`TUG_CPU_PROBE=${s.id}`), (p) => p !== undefined, 5_000);
      expect(pid).toBeDefined();
      expect(cfsQuotaOf(pid!)).toBe("25000 100000");
    }, 30_000);

    test("stop: a TERM handler exits promptly; a process ignoring TERM is killed after the grace period", async () => {
      const polite = await start(spec("polite", ["sh", "-c", 'trap "exit 0" TERM; echo ready; while :; do sleep 1 & wait $!; done']));
      const stubborn = await start(spec("stubborn", ["sh", "-c", 'trap "" TERM; echo ready; while :; do sleep 1; done']));
      await logsWith(polite, "ready");
      await logsWith(stubborn, "ready");

      let t0 = Date.now();
      await rt.stopContainer(polite, 10);
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect((await waitState(polite, "exited")).exitCode).toBe(0);

      t0 = Date.now();
      await rt.stopContainer(stubborn, 1);
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(5_000);
      const s = await waitState(stubborn, "exited");
      expect(s.exitCode).toBe(137);
      expect(s.oomKilled ?? false).toBe(false);

      await rt.stopContainer(stubborn, 1); // idempotent on an exited container
    }, 30_000);

    test("logs: lines, tail, timestamps, both streams", async () => {
      const id = await start(spec("logs", ["sh", "-c", "echo one; echo two >&2; sleep 0.1; echo three"]));
      await waitState(id, "exited");
      const all = await logsWith(id, "three");
      expect(all.split("\n").filter(Boolean).sort()).toEqual(["one", "three", "two"]);
      expect(all.endsWith("three\n")).toBe(true);
      expect(await logText(id, { tailLines: 1 })).toBe("three\n");
      expect(await logText(id, { tailLines: 0 })).toBe("");
      const stamped = (await logText(id, { timestamps: true })).split("\n").filter(Boolean);
      expect(stamped.length).toBe(3);
      for (const line of stamped) expect(line).toMatch(TIMESTAMP);
      expect(stamped.map((l) => l.replace(TIMESTAMP, "")).sort()).toEqual(["one", "three", "two"]);
    }, 30_000);

    test("logs follow: receives a line written later, stops on abort and at the end of an exited container", async () => {
      const id = await start(spec("follow", ["sh", "-c", "echo first; sleep 1.5; echo later; sleep 30"]));
      await logsWith(id, "first");
      const ac = new AbortController();
      const seen: string[] = [];
      const t0 = Date.now();
      for await (const line of rt.logs(id, logPath(id), { follow: true, timestamps: false, signal: ac.signal })) {
        seen.push(line);
        if (line === "later\n") ac.abort();
      }
      expect(seen).toEqual(["first\n", "later\n"]);
      expect(Date.now() - t0).toBeLessThan(10_000);

      // Following an exited container drains the file and ends by itself.
      const short = await start(spec("follow-exit", ["sh", "-c", "echo a; echo b"]));
      await waitState(short, "exited");
      await logsWith(short, "b");
      const lines: string[] = [];
      for await (const line of rt.logs(short, logPath(short), { follow: true, timestamps: false })) lines.push(line);
      expect(lines).toEqual(["a\n", "b\n"]);
    }, 30_000);

    test("exec: exit codes and output; stats of a running container", async () => {
      const id = await start(spec("exec", ["sh", "-c", "while :; do sleep 1; done"]));
      await waitState(id, "running");
      expect(await rt.exec(id, ["sh", "-c", "echo hi; exit 5"], 5_000)).toEqual({ exitCode: 5, output: "hi\n" });
      expect((await rt.exec(id, ["true"], 5_000)).exitCode).toBe(0);
      expect((await rt.exec(id, ["cat", "/www/index.html"], 5_000)).output).toBe(TEST_PAGE);

      const stats = await rt.stats(id);
      expect(stats?.memoryBytes).toBeGreaterThan(0);
      expect(stats?.cpuNanos).toBeGreaterThanOrEqual(0);
      await rt.removeContainer(id);
    }, 30_000);

    test("exec past its timeout does not report success", async () => {
      const id = await start(spec("exec-timeout", ["sh", "-c", "while :; do sleep 1; done"]));
      await waitState(id, "running");
      const t0 = Date.now();
      const result = await rt.exec(id, ["sleep", "10"], 500).catch((e: unknown) => e);
      expect(Date.now() - t0).toBeLessThan(4_000);
      if (!(result instanceof Error)) expect(result).not.toMatchObject({ exitCode: 0 });
      await rt.removeContainer(id);
    }, 30_000);

    test("listContainers filters by every given label", async () => {
      const ours = await start(spec("ours", ["sh", "-c", "exit 0"], { labels: { "tug.test.pick": "yes" } }));
      const theirs = await start(spec("theirs", ["sh", "-c", "exit 0"], { labels: { [LABEL_NODE]: otherNode } }));
      const listedMine = (await rt.listContainers(mine)).map((c) => c.id);
      expect(listedMine).toContain(ours);
      expect(listedMine).not.toContain(theirs);
      expect((await rt.listContainers({ [LABEL_NODE]: otherNode })).map((c) => c.id)).toEqual([theirs]);
      expect((await rt.listContainers({ ...mine, "tug.test.pick": "yes" })).map((c) => c.id)).toEqual([ours]);
      const s = (await rt.listContainers({ [LABEL_NODE]: otherNode }))[0];
      expect(s?.labels).toMatchObject({ [LABEL_NODE]: otherNode, [LABEL_CONTAINER]: "theirs" });
      await rt.removeContainer(theirs);
      await rt.removeContainer(ours);
    }, 30_000);

    test("removeContainer stops a running container and is idempotent", async () => {
      const id = await start(spec("remove", ["sh", "-c", "while :; do sleep 1; done"]));
      await waitState(id, "running");
      await rt.removeContainer(id);
      expect(await stateOf(id)).toBeUndefined();
      await rt.removeContainer(id);
      await rt.removeContainer(`tugc-${run}-never-existed`);
      expect(await rt.stats(id)).toBeUndefined();
    }, 30_000);

    test("a hostNetwork sandbox has no netns; removeSandbox is idempotent", async () => {
      const host = await rt.createSandbox({ id: `tugs-${run}-host`, hostname: "host", hostNetwork: true, labels: { ...mine, [LABEL_POD_UID]: "host" } });
      expect(host.netnsPath).toBeUndefined();
      const id = await start(spec("hostnet", ["sh", "-c", "cat /proc/net/dev"]), host);
      expect((await waitState(id, "exited")).exitCode).toBe(0);
      await rt.removeContainer(id);

      const extra = await rt.createSandbox({ id: `tugs-${run}-gone`, hostname: "gone", hostNetwork: false, labels: { ...mine, [LABEL_POD_UID]: "gone" } });
      await rt.removeSandbox(extra.id);
      await rt.removeSandbox(extra.id);
      await rt.removeSandbox(host.id);
      await rt.removeSandbox(`tugs-${run}-never`);
      if (extra.netnsPath) expect(existsSync(extra.netnsPath)).toBe(false);
      expect((await rt.listSandboxes(mine)).map((s) => s.id)).toEqual([sandbox.id]);
    }, 30_000);
  });
}

/** The host PID of the process whose environment holds `entry` (a container's, seen from the host), if any. */
function hostPidWithEnv(entry: string): number | undefined {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, "latin1").split("\0").includes(entry)) return Number(name);
    } catch {
      // gone meanwhile, or a kernel thread
    }
  }
  return undefined;
}

/** "quota period" in microseconds of the CPU cgroup `pid` is in, on cgroup v2 (cpu.max) or v1 (cfs_quota_us, cfs_period_us). */
function cfsQuotaOf(pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
  const v1 = lines.map((l) => l.split(":")).find(([, controllers]) => controllers!.split(",").includes("cpu"));
  if (!v1) return readFileSync(`/sys/fs/cgroup${lines.find((l) => l.startsWith("0::"))!.slice(3)}/cpu.max`, "utf8").trim();
  // The v1 cpu hierarchy is mounted at /sys/fs/cgroup/cpu or /sys/fs/cgroup/cpu,cpuacct.
  const mount = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" "))
    .find((f) => f[f.indexOf("-") + 1] === "cgroup" && f[f.indexOf("-") + 3]!.split(",").includes("cpu"))![4]!;
  const dir = `${mount}${v1[2]}`;
  return `${readFileSync(`${dir}/cpu.cfs_quota_us`, "utf8").trim()} ${readFileSync(`${dir}/cpu.cfs_period_us`, "utf8").trim()}`;
}
