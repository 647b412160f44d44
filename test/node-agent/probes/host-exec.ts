// The probes' exec target for tests: runs argv on the host instead of in a
// container, with the runtime's contract (exit code and combined output,
// rejects when the command outlives its timeout).

import { runCommand } from "../../../node-agent/exec/command.ts";

export async function hostExec(argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
  if (argv.length === 0) throw new Error("empty argv");
  // runCommand kills the whole process group on timeout: `sh -c` and whatever it forked.
  const r = await runCommand(argv, { all: true, timeoutMs });
  if (r.timedOut) throw new Error(`command timed out after ${timeoutMs} ms`);
  return { exitCode: r.exitCode, output: r.all };
}
