// Runs `ctr` (containerd's CLI) against one socket and namespace. Every failure
// becomes a CommandError carrying the argv and ctr's stderr, so the driver can
// classify it (not found, already exists, runc's message) and the log shows
// exactly what ran.

import { runCommand, type CommandResult } from "../../exec/command.ts";

export const DEFAULT_CONTAINERD_SOCKET = "/run/containerd/containerd.sock";

const CONNECT_TIMEOUT = "3s";

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
    override readonly cause?: unknown,
    readonly timedOut = false,
  ) {
    super(`${argv.join(" ")} failed (${timedOut ? "timed out" : `exit ${exitCode ?? "?"}`}): ${lastLine(stderr) || String(cause ?? "")}`);
    this.name = "CommandError";
  }

  /** ctr's own message: the last `ctr: ...` line without its prefix (earlier lines are log noise). */
  get ctrMessage(): string {
    return ctrMessage(this.stderr) || this.message;
  }

  /** The object (task, container, image, process) is not there. */
  get notFound(): boolean {
    return /not found|no such (file|container|task)/i.test(this.stderr);
  }

  /** ctr itself is missing, as opposed to a failed command. */
  get missingBinary(): boolean {
    return (this.cause as { code?: string } | undefined)?.code === "ENOENT";
  }
}

export interface CtrResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface CtrOptions {
  /** containerd socket; the ctr default when absent. */
  address?: string;
  namespace: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Interleaved stdout+stderr, for exec output. */
  all?: boolean;
  /** Return a non-zero exit instead of throwing (exec reports the process's code this way). */
  allowExitCode?: boolean;
}

export class Ctr {
  readonly address: string;

  constructor(private readonly opts: CtrOptions) {
    this.address = opts.address ?? DEFAULT_CONTAINERD_SOCKET;
  }

  /** The global flags every invocation starts with. */
  globalArgs(): string[] {
    // Without a connect timeout, ctr waits 10 s for a socket nobody listens on.
    return ["--address", this.address, "--connect-timeout", CONNECT_TIMEOUT, "--namespace", this.opts.namespace];
  }

  /** Runs `ctr <args>`; throws CommandError on a non-zero exit, a timeout or a missing binary. */
  async run(args: string[], opts: RunOptions = {}): Promise<CtrResult & { all: string }> {
    const argv = ["ctr", ...this.globalArgs(), ...args];
    let r: CommandResult;
    try {
      r = await runCommand(argv, {
        all: opts.all ?? false,
        timeoutMs: opts.timeoutMs,
        // ctr forwards SIGTERM to an attached exec process, so a timeout ends it too.
        termGraceMs: 2_000,
      });
    } catch (e) {
      // Not started at all: a missing ctr (CommandNotFound, code ENOENT) or another spawn error.
      throw new CommandError(argv, undefined, "", e);
    }
    const exitedOnItsOwn = !r.timedOut && r.signal === undefined;
    if ((r.exitCode !== 0 || !exitedOnItsOwn) && !(opts.allowExitCode && exitedOnItsOwn)) {
      // A signal leaves no exit status to report.
      throw new CommandError(argv, r.signal === undefined ? r.exitCode : undefined, r.stderr, undefined, r.timedOut);
    }
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, all: r.all };
  }

  /** Like run, but an exit because the object is absent is not an error (idempotent deletes and kills). */
  async runIgnoringNotFound(args: string[]): Promise<CtrResult | undefined> {
    try {
      return await this.run(args);
    } catch (e) {
      if (e instanceof CommandError && e.notFound) return undefined;
      throw e;
    }
  }
}

function lastLine(text: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? "";
}

/** The `ctr: ...` line of stderr, prefix removed, on one line. */
export function ctrMessage(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const own = lines.filter((l) => l.startsWith("ctr: "));
  const line = own[own.length - 1] ?? lines[lines.length - 1] ?? "";
  return line.replace(/^ctr: /, "");
}
