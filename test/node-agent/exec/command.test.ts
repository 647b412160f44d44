// runCommand against real processes (sh, cat, env): exit codes, the three
// outputs, stdin, environment, a timeout that must beat a forked child holding
// the pipes, and a missing executable.

import { describe, expect, test } from "bun:test";
import { CommandFailed, CommandNotFound, runChecked, runCommand } from "../../../node-agent/exec/command.ts";

describe("runCommand", () => {
  test("exit code, stdout and stderr kept apart, final newline kept", async () => {
    const r = await runCommand(["sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect(r).toEqual({ stdout: "out\n", stderr: "err\n", all: "", exitCode: 3, timedOut: false });
  });

  test("all interleaves stdout and stderr in order", async () => {
    const r = await runCommand(["sh", "-c", "echo 1; sleep 0.05; echo 2 >&2; sleep 0.05; echo 3"], { all: true });
    expect(r.all).toBe("1\n2\n3\n");
    expect(r.stdout).toBe("1\n3\n");
    expect(r.stderr).toBe("2\n");
    expect(r.exitCode).toBe(0);
  });

  test("input goes to stdin, as a string or bytes; stdin is empty otherwise", async () => {
    expect((await runCommand(["cat"], { input: "héllo\nworld" })).stdout).toBe("héllo\nworld");
    expect((await runCommand(["wc", "-c"], { input: new Uint8Array(100_000).fill(65) })).stdout.trim()).toBe("100000");
    expect((await runCommand(["cat"])).stdout).toBe("");
  });

  test("env replaces the environment; spreading process.env extends it", async () => {
    const only = await runCommand(["/usr/bin/env"], { env: { TUG_A: "1" } });
    expect(only.stdout).toBe("TUG_A=1\n");
    const extended = await runCommand(["sh", "-c", 'echo "$TUG_B:$HOME"'], { env: { ...process.env, TUG_B: "2" } });
    expect(extended.stdout).toBe(`2:${process.env.HOME}\n`);
  });

  test("a bare name is looked up on the given PATH", async () => {
    expect((await runCommand(["true"], { env: { PATH: "/bin:/usr/bin" } })).exitCode).toBe(0);
    await expect(runCommand(["true"], { env: { PATH: "/nonexistent" } })).rejects.toBeInstanceOf(CommandNotFound);
  });

  test("cwd", async () => {
    expect((await runCommand(["pwd"], { cwd: "/tmp" })).stdout).toBe("/tmp\n");
    // A missing cwd is not a missing command.
    const e = await runCommand(["pwd"], { cwd: "/nonexistent-dir" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(CommandNotFound);
  });

  test("a timeout of sh -c 'sleep 5' resolves at the timeout", async () => {
    const start = performance.now();
    const r = await runCommand(["sh", "-c", "sleep 5"], { timeoutMs: 200 });
    expect(r).toMatchObject({ timedOut: true, signal: "SIGKILL" });
    expect(performance.now() - start).toBeLessThan(1200);
  });

  test("a timeout kills sh and the child it forked, and resolves at the timeout", async () => {
    const start = performance.now();
    // The trailing `; true` stops sh from exec'ing sleep: sleep is a real child holding the pipes.
    const r = await runCommand(["sh", "-c", "echo started; sleep 5; true"], { timeoutMs: 300 });
    const took = performance.now() - start;
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe("SIGKILL");
    expect(r.exitCode).toBe(137);
    expect(r.stdout).toBe("started\n");
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
  });

  test("a timeout still resolves when a child escaped the process group with the pipes", async () => {
    const start = performance.now();
    // setsid does not fork here (sh's background child is no group leader), so $! is the sleep.
    const r = await runCommand(["sh", "-c", "setsid sleep 3 & echo $!; sleep 5"], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(performance.now() - start).toBeLessThan(1500);
    const escaped = Number(r.stdout.trim());
    expect(escaped).toBeGreaterThan(0);
    process.kill(escaped, "SIGKILL"); // ours: don't leave it behind
  });

  test("termGraceMs sends SIGTERM first, SIGKILL later", async () => {
    const trapped = await runCommand(["sh", "-c", "trap 'echo term; exit 7' TERM; sleep 5 & wait"], { timeoutMs: 200, termGraceMs: 2000 });
    expect(trapped).toMatchObject({ timedOut: true, exitCode: 7, stdout: "term\n" });
    const start = performance.now();
    const stubborn = await runCommand(["sh", "-c", "trap '' TERM; sleep 5 & wait; sleep 5"], { timeoutMs: 200, termGraceMs: 300 });
    expect(stubborn).toMatchObject({ timedOut: true, signal: "SIGKILL" });
    expect(performance.now() - start).toBeLessThan(1500);
  });

  test("a fast command is not marked timed out", async () => {
    expect(await runCommand(["echo", "hi"], { timeoutMs: 5000 })).toMatchObject({ stdout: "hi\n", exitCode: 0, timedOut: false });
  });

  test("a missing binary is CommandNotFound with code ENOENT", async () => {
    for (const bin of ["tug-no-such-command", "/nonexistent/tug-cmd"]) {
      const e = await runCommand([bin, "x"]).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(CommandNotFound);
      expect(e).toMatchObject({ code: "ENOENT", argv: [bin, "x"] });
    }
  });

  test("runChecked throws CommandFailed with argv and stderr on a non-zero exit", async () => {
    expect((await runChecked(["echo", "ok"])).stdout).toBe("ok\n");
    const e = await runChecked(["sh", "-c", "echo bad >&2; exit 2"]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CommandFailed);
    expect((e as CommandFailed).message).toBe("sh -c echo bad >&2; exit 2 failed (exit 2): bad");
    expect((e as CommandFailed).result.exitCode).toBe(2);
  });
});
