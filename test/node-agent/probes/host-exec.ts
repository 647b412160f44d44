// The probes' exec target for tests: runs argv on the host instead of in a
// container, with the runtime's contract (exit code and combined output,
// rejects when the command outlives its timeout).

import { execa } from "execa";

export async function hostExec(argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error("empty argv");
  // Its own process group, so a timeout kills `sh -c` and whatever it forked
  // (a surviving child would hold the output pipe open past the timeout).
  const child = execa(file, args, { reject: false, all: true, stdin: "ignore", detached: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch (e) {
      // ESRCH: the group exited just now; the result below still says timed out.
      if (!(e instanceof Error && "code" in e && e.code === "ESRCH")) throw e;
    }
  }, timeoutMs);
  const r = await child.finally(() => clearTimeout(timer));
  if (timedOut) throw new Error(`command timed out after ${timeoutMs} ms`);
  if (r.exitCode === undefined) throw new Error(r.message);
  return { exitCode: r.exitCode, output: r.all ?? "" };
}
