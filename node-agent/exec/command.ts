// The agent's one way to run a short command and collect its output, on
// Bun.spawn. (execa alone costs ~23 MB RSS under Bun, half the agent's idle
// budget.) Each command runs in its own session and process group, so a
// timeout kills `sh -c` together with whatever it forked: an orphaned child
// would otherwise hold the output pipes open and the call would never return.

import { existsSync } from "node:fs";

export interface RunCommandOptions {
  /** The child's whole environment; the agent's own when absent. Spread `process.env` to extend it. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, then stdin is closed; stdin is /dev/null when absent. */
  input?: string | Uint8Array;
  /** Kill the process group after this long and report `timedOut`. */
  timeoutMs?: number;
  /** Also collect stdout and stderr interleaved, in the order the chunks arrived. */
  all?: boolean;
  cwd?: string;
  /**
   * On timeout send SIGTERM first and SIGKILL this many ms later, for commands
   * that pass SIGTERM on (ctr ends an attached exec process). SIGKILL at once when absent.
   */
  termGraceMs?: number;
}

export interface CommandResult {
  /** Exactly what the command wrote: the final newline is kept. */
  stdout: string;
  stderr: string;
  /** Interleaved stdout+stderr; empty unless `all` was asked for. */
  all: string;
  /** The exit status; 128 + the signal number when a signal ended the process. */
  exitCode: number;
  /** The signal that ended the process, if one did. */
  signal?: string;
  timedOut: boolean;
}

/** The executable does not exist (or is not on PATH). Callers turn this into an install hint. */
export class CommandNotFound extends Error {
  readonly code = "ENOENT";
  constructor(
    readonly argv: string[],
    override readonly cause: unknown,
  ) {
    super(`${argv[0] ?? "(empty argv)"}: command not found`);
    this.name = "CommandNotFound";
  }
}

/** A non-zero exit or a timeout, from runChecked. */
export class CommandFailed extends Error {
  constructor(readonly argv: string[], readonly result: CommandResult) {
    const why = result.timedOut ? "timed out" : `exit ${result.exitCode}`;
    super(`${argv.join(" ")} failed (${why}): ${result.stderr.trim() || result.stdout.trim()}`);
    this.name = "CommandFailed";
  }
}

/** After the process exits, how long leftover holders of its pipes get before we stop reading. */
const PIPE_DRAIN_MS = 100;

/**
 * Runs argv and resolves with its output and exit status, whatever the status.
 * Throws CommandNotFound for a missing executable and the spawn error for any
 * other failure to start (EACCES, a missing cwd). Without `timeoutMs` it waits
 * until every holder of the output pipes has closed them.
 */
export async function runCommand(argv: string[], opts: RunCommandOptions = {}): Promise<CommandResult> {
  if (argv.length === 0) throw new Error("runCommand: empty argv");
  const input = typeof opts.input === "string" ? new TextEncoder().encode(opts.input) : opts.input;
  let child: Bun.Subprocess<"ignore" | Uint8Array, "pipe", "pipe">;
  try {
    child = Bun.spawn(argv, {
      cwd: opts.cwd,
      env: opts.env,
      stdin: input ?? "ignore",
      stdout: "pipe",
      stderr: "pipe",
      detached: true,
    });
  } catch (e) {
    // A missing cwd is ENOENT too: only a missing executable is "not found".
    if ((e as { code?: unknown }).code === "ENOENT" && (opts.cwd === undefined || existsSync(opts.cwd))) throw new CommandNotFound(argv, e);
    throw e;
  }

  const text = { stdout: "", stderr: "", all: "" };
  const readers = { stdout: child.stdout.getReader(), stderr: child.stderr.getReader() };
  const drain = async (name: "stdout" | "stderr") => {
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await readers[name].read();
      const chunk = done ? decoder.decode() : decoder.decode(value, { stream: true });
      text[name] += chunk;
      if (opts.all) text.all += chunk;
      if (done) return;
    }
  };
  const drained = Promise.all([drain("stdout"), drain("stderr")]);

  let exited = false;
  let timedOut = false;
  const timers: ReturnType<typeof setTimeout>[] = [];
  // A kill that fails (other than "already gone") ends the call instead of crashing a timer.
  let failKill: (e: unknown) => void = () => {};
  const killFailed = new Promise<never>((_, reject) => (failKill = reject));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid, signal);
    } catch (e) {
      // ESRCH: the whole group is gone already, which is what we wanted.
      if ((e as { code?: unknown }).code !== "ESRCH") failKill(e);
    }
  };
  const stopReading = () => {
    for (const r of Object.values(readers)) void r.cancel();
  };
  if (opts.timeoutMs !== undefined) {
    timers.push(
      setTimeout(() => {
        if (exited) {
          // It finished in time, but something it forked still holds our pipes.
          killGroup("SIGKILL");
          timers.push(setTimeout(stopReading, PIPE_DRAIN_MS));
          return;
        }
        timedOut = true;
        if (opts.termGraceMs === undefined) {
          killGroup("SIGKILL");
        } else {
          killGroup("SIGTERM");
          timers.push(setTimeout(() => killGroup("SIGKILL"), opts.termGraceMs));
        }
      }, opts.timeoutMs),
    );
  }

  try {
    const exitCode = await Promise.race([child.exited, killFailed]);
    exited = true;
    // Killed members of the group close their ends at once; one that escaped it
    // (setsid) could keep them open for good, so a timed-out call stops waiting.
    if (timedOut) timers.push(setTimeout(stopReading, PIPE_DRAIN_MS));
    await Promise.race([drained, killFailed]);
    const signal = child.signalCode ?? undefined;
    return { ...text, exitCode, timedOut, ...(signal === undefined ? {} : { signal: String(signal) }) };
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

/** runCommand that throws CommandFailed unless the command exits 0 in time. */
export async function runChecked(argv: string[], opts: RunCommandOptions = {}): Promise<CommandResult> {
  const r = await runCommand(argv, opts);
  if (r.exitCode !== 0 || r.timedOut) throw new CommandFailed(argv, r);
  return r;
}
