// Runs the ContainerRuntime conformance suite against real containerd through
// ctr, in a containerd namespace of its own (tug-test-<pid>) that is emptied
// and deleted afterwards.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runChecked, runCommand } from "../../../node-agent/exec/command.ts";
import { ContainerdRuntime } from "../../../node-agent/runtime/containerd/containerd-runtime.ts";
import { LABEL_NODE, RuntimeError, type ContainerSpec } from "../../../node-agent/runtime/runtime.ts";
import { eventually } from "../../support.ts";
import { TEST_IMAGE, testImageTar } from "../test-image.ts";
import { missing, NEED_BUSYBOX, NEED_CONTAINERD, NEED_ROOT } from "../requirements.ts";
import { runtimeConformance } from "./conformance.ts";

const namespace = `tug-test-${process.pid}`;
const stateDir = mkdtempSync(join(tmpdir(), "tug-containerd-test-"));

runtimeConformance("containerd", async () => new ContainerdRuntime({ namespace, stateDir }), [NEED_ROOT, NEED_CONTAINERD, NEED_BUSYBOX]);

afterAll(async () => {
  if (!NEED_CONTAINERD.present() || !NEED_ROOT.present()) return;
  // The suite removed its containers; what is left in the namespace is the imported images.
  const ctr = (...args: string[]) => runCommand(["ctr", "-n", namespace, ...args]);
  const images = (await ctr("images", "ls", "-q")).stdout.split("\n").filter(Boolean);
  if (images.length > 0) await ctr("images", "rm", "--sync", ...images);
  const rm = await ctr("namespaces", "rm", namespace);
  if (rm.exitCode !== 0 && !/not found/.test(rm.stderr)) console.warn(`containerd test: namespace ${namespace} left behind: ${rm.stderr}`);
  rmSync(stateDir, { recursive: true, force: true });
});

const skip = missing([NEED_ROOT, NEED_CONTAINERD, NEED_BUSYBOX], "containerd driver");

describe.skipIf(!!skip)("containerd driver", () => {
  test("a socket nobody listens on is RuntimeUnavailable, with the socket and the install hint", async () => {
    const warnings: string[] = [];
    const address = join(stateDir, "nobody.sock");
    const rt = new ContainerdRuntime({ namespace, stateDir: join(stateDir, "unavailable"), address, warn: (m) => warnings.push(m) });
    try {
      const err = await rt.version().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuntimeError);
      expect((err as RuntimeError).reason).toBe("RuntimeUnavailable");
      expect((err as RuntimeError).message).toContain(`containerd is not running at ${address}`);
      expect((err as RuntimeError).message).toContain("apt-get install containerd");
    } finally {
      await rt.close();
    }
  }, 15_000);

  test("after an agent restart (exit events missed) exit codes and OOM kills are recovered, and kept", async () => {
    const node = `restart-${process.pid}`;
    const labels = { [LABEL_NODE]: node };
    const dir = join(stateDir, "restart");
    const logs = join(stateDir, "restart-logs");
    const spec = (id: string, command: string[], extra: Partial<ContainerSpec> = {}): ContainerSpec => ({ id, image: TEST_IMAGE, command, env: [], mounts: [], labels, ...extra });
    const exit7 = `tugc-${process.pid}-restart-exit7`;
    const oom = `tugc-${process.pid}-restart-oom`;

    const before = new ContainerdRuntime({ namespace, stateDir: dir });
    await before.importImage(await testImageTar());
    const sandbox = await before.createSandbox({ id: `tugs-${process.pid}-restart`, hostname: "r", hostNetwork: false, labels });
    await before.startContainer(sandbox, spec(exit7, ["sh", "-c", "sleep 1; exit 7"]), join(logs, "exit7.log"));
    await before.startContainer(sandbox, spec(oom, ["sh", "-c", "sleep 1; exec dd if=/dev/zero of=/dev/null bs=100M count=1"], { memoryLimitBytes: 32 << 20 }), join(logs, "oom.log"));
    await before.close(); // the agent is gone while both exit
    const stopped = await eventually(
      async () => (await runChecked(["ctr", "-n", namespace, "tasks", "ls"])).stdout,
      (table) => [exit7, oom].every((id) => new RegExp(`^${id}\\s+\\d+\\s+STOPPED`, "m").test(table)),
      10_000,
    );
    expect(stopped).toMatch(/STOPPED/);

    const warnings: string[] = [];
    const after = new ContainerdRuntime({ namespace, stateDir: dir, warn: (m) => warnings.push(m) });
    try {
      expect((await after.listSandboxes(labels)).map((s) => s.id)).toEqual([sandbox.id]);
      const exited = await eventually(
        () => after.listContainers(labels),
        (cs) => cs.length === 2 && cs.every((c) => c.state === "exited"),
        10_000,
      );
      const byId = new Map(exited.map((c) => [c.id, c]));
      expect(byId.get(exit7)).toMatchObject({ state: "exited", exitCode: 7, oomKilled: false });
      expect(byId.get(oom)).toMatchObject({ state: "exited", exitCode: 137, oomKilled: true });
      expect(byId.get(exit7)?.labels).toEqual(labels);
      expect(warnings.filter((w) => w.includes("exit event missed")).length).toBe(2);

      // A second restart reads what the first one kept on the container records.
      const again = new ContainerdRuntime({ namespace, stateDir: dir });
      const kept = new Map((await again.listContainers(labels)).map((c) => [c.id, c]));
      await again.close();
      expect(kept.size).toBe(2);
      expect(kept.get(exit7)).toMatchObject({ state: "exited", exitCode: 7, oomKilled: false });
      expect(kept.get(oom)).toMatchObject({ state: "exited", exitCode: 137, oomKilled: true });
    } finally {
      for (const c of await after.listContainers(labels)) await after.removeContainer(c.id);
      await after.removeSandbox(sandbox.id);
      await after.close();
    }
  }, 30_000);

  test("the events child is respawned when it dies, and exits are seen through it again", async () => {
    const labels = { [LABEL_NODE]: `respawn-${process.pid}` };
    const warnings: string[] = [];
    const rt = new ContainerdRuntime({ namespace, stateDir: join(stateDir, "respawn"), warn: (m) => warnings.push(m) });
    /** The pid of this process's `ctr events` grandchild for our namespace. */
    const eventsPid = async () => {
      const rows = (await runChecked(["ps", "-eo", "pid=,ppid=,args="])).stdout.split("\n").map((l) => l.trim().split(/\s+/));
      const wrappers = new Set(rows.filter(([, ppid, cmd]) => ppid === String(process.pid) && cmd === "sh").map(([pid]) => pid));
      const row = rows.find(([, ppid, cmd, ...rest]) => wrappers.has(ppid) && cmd === "ctr" && rest.join(" ").includes(`events namespace==${namespace},`));
      return row?.[0];
    };
    try {
      await rt.importImage(await testImageTar());
      const first = await eventually(eventsPid, (p) => p !== undefined, 5_000);
      expect(first).toBeDefined();
      process.kill(Number(first), "SIGKILL");
      const second = await eventually(eventsPid, (p) => p !== undefined && p !== first, 10_000);
      expect(second).not.toBe(first);
      expect(warnings.some((w) => w.startsWith("ctr events exited"))).toBe(true);

      const sandbox = await rt.createSandbox({ id: `tugs-${process.pid}-respawn`, hostname: "r", hostNetwork: false, labels });
      await Bun.sleep(200); // let the new child subscribe before the exit happens
      const id = `tugc-${process.pid}-respawn`;
      await rt.startContainer(sandbox, { id, image: TEST_IMAGE, command: ["sh", "-c", "exit 4"], env: [], mounts: [], labels }, join(stateDir, "respawn.log"));
      const [c] = await eventually(() => rt.listContainers(labels), (cs) => cs[0]?.state === "exited", 10_000);
      expect(c).toMatchObject({ id, state: "exited", exitCode: 4 });
      expect(warnings.filter((w) => w.includes("exit event missed"))).toEqual([]);
    } finally {
      for (const c of await rt.listContainers(labels)) await rt.removeContainer(c.id);
      for (const s of await rt.listSandboxes(labels)) await rt.removeSandbox(s.id);
      await rt.close();
    }
  }, 30_000);
});
