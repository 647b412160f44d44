// A long-lived `ctr events` child that records, in memory, how each task of
// one namespace ended: exit code, OOM kill, time. `-n` does not filter
// `ctr events`, so the namespace goes into the filter. The child exits when
// containerd restarts and past events are not replayed: it is respawned, and
// the driver falls back to the cgroup and `tasks delete` for what it missed.

import type { Ctr } from "./ctr.ts";

/**
 * Runs ctr under a small sh that kills it once our end of its stdin closes,
 * which the kernel does when the agent dies for any reason (even SIGKILL):
 * an orphaned `ctr events` would otherwise live forever. When ctr exits on
 * its own, the watcher is stopped too, so it never signals a reused pid.
 */
// A background list gets /dev/null as stdin unless redirected: hence fd 3.
const WATCHDOG = 'exec 3<&0; ctr "$@" </dev/null & c=$!; { read -r _ <&3; kill $c; } & w=$!; exec 3<&-; wait $c; s=$?; kill $w 2>/dev/null; exit $s';

export interface TaskExit {
  exitCode: number;
  finishedAt: string;
  oom: boolean;
}

export class TaskEventMonitor {
  private child: { proc: Bun.Subprocess<"pipe", "pipe", "pipe">; done: Promise<void> } | undefined;
  private closed = false;
  private respawnTimer: ReturnType<typeof setTimeout> | undefined;
  /** Doubles while the child keeps dying young (containerd down), up to 30 s. */
  private backoffMs = 500;
  private readonly exits = new Map<string, TaskExit>();
  private readonly ooms = new Set<string>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly ctr: Ctr,
    private readonly namespace: string,
    private readonly onError: (message: string) => void,
  ) {}

  start(): void {
    if (this.closed || this.child) return;
    const filter = `namespace==${this.namespace},topic~="^/tasks/(exit|oom)"`;
    const args = ["--address", this.ctr.address, "events", filter];
    const startedAt = Date.now();
    const respawn = (status: string, why: string) => {
      this.child = undefined;
      if (this.closed) return;
      this.backoffMs = Date.now() - startedAt > 10_000 ? 500 : Math.min(this.backoffMs * 2, 30_000);
      this.onError(`ctr events exited (${status}): ${why}; respawning in ${this.backoffMs} ms`);
      this.respawnTimer = setTimeout(() => this.start(), this.backoffMs);
    };
    let proc: Bun.Subprocess<"pipe", "pipe", "pipe">;
    try {
      // Not detached: no timeout applies, and the watchdog, not a process group, ends ctr.
      proc = Bun.spawn(["sh", "-c", WATCHDOG, "sh", ...args], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    } catch (e) {
      respawn("?", String(e));
      return;
    }
    let stderr = "";
    const done = Promise.all([
      readText(proc.stdout, lineSplitter((line) => this.onLine(line))),
      readText(proc.stderr, (text) => {
        stderr = (stderr + text).slice(-2000);
      }),
      proc.exited,
    ]).then(
      () => respawn(String(proc.exitCode ?? proc.signalCode ?? "?"), stderr.trim()),
      (e: unknown) => respawn(String(proc.exitCode ?? proc.signalCode ?? "?"), `reading its output: ${String(e)}`),
    );
    this.child = { proc, done };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    const child = this.child;
    if (child) {
      // EOF on stdin makes the watchdog kill ctr; the sh then exits by itself.
      void child.proc.stdin.end();
      const timer = setTimeout(() => child.proc.kill("SIGKILL"), 3_000);
      await child.done;
      clearTimeout(timer);
    }
  }

  get(id: string): TaskExit | undefined {
    return this.exits.get(id);
  }

  /** True when an OOM event was seen for the task (it may not have exited yet). */
  sawOom(id: string): boolean {
    return this.ooms.has(id);
  }

  /** Forget a container (removed, or a new task with the same id is about to start). */
  forget(id: string): void {
    this.exits.delete(id);
    this.ooms.delete(id);
  }

  /** Resolves when an exit event for `id` arrives or `ms` pass, whichever is first. */
  waitExit(id: string, ms: number): Promise<void> {
    if (this.exits.has(id)) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  private onLine(line: string): void {
    // "2026-11-22 05:43:18.112219664 +0000 UTC <ns> /tasks/exit {json}"
    const m = /^\S+ \S+ \S+ \S+ (\S+) (\/tasks\/(?:exit|oom)) (\{.*\})\s*$/.exec(line);
    if (!m || m[1] !== this.namespace) return;
    let event: { container_id?: string; id?: string; exit_status?: number; exited_at?: string };
    try {
      event = JSON.parse(m[3] as string) as typeof event;
    } catch (e) {
      this.onError(`ctr events: unreadable line ${JSON.stringify(line)}: ${String(e)}`);
      return;
    }
    const id = event.container_id;
    if (!id) return;
    if (m[2] === "/tasks/oom") {
      this.ooms.add(id);
      return;
    }
    // An exec process exiting has id != container_id: not the task.
    if (event.id !== undefined && event.id !== id) return;
    this.exits.set(id, {
      // exit_status is omitted when it is 0.
      exitCode: event.exit_status ?? 0,
      finishedAt: event.exited_at ?? new Date().toISOString(),
      oom: this.ooms.has(id),
    });
    for (const w of [...(this.waiters.get(id) ?? [])]) w();
  }
}

/** Feeds the decoded text of `stream` to `onText` until it ends; a final call with `end` set. */
async function readText(stream: ReadableStream<Uint8Array>, onText: (text: string, end: boolean) => void): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) onText(decoder.decode(chunk, { stream: true }), false);
  onText(decoder.decode(), true);
}

/** Turns text arriving in arbitrary chunks into whole lines; an unterminated last line comes at the end. */
function lineSplitter(onLine: (line: string) => void): (text: string, end: boolean) => void {
  let pending = "";
  return (text, end) => {
    const parts = (pending + text).split("\n");
    pending = parts.pop() ?? "";
    for (const line of parts) onLine(line);
    if (end && pending) onLine(pending);
  };
}
