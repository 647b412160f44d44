// The Events this agent records about its Node and its pods, as kubelet does
// (see pod-events.ts for the pod ones). They are coalesced while they wait
// (the same event again only bumps its count), sent up the link once a
// second, and kept while the link is down (bounded), so what happened offline
// still shows in `kubectl describe` and `kubectl get events` once it is back.
// A new event goes out at once; the same one again (a probe failing every
// second) at most every `repeatMs`, its count carrying the repeats: each send
// is a write on the server's disk, an SD card on a board.

import type { AgentEvent } from "../../core/mesh/messages.ts";

/** An event as a caller records it; the count is the recorder's business. */
export type EventInput = Omit<AgentEvent, "count">;
export type RecordEvent = (e: EventInput) => void;

/** Distinct events kept while the link is down; more are dropped (and counted in the log). */
const MAX_PENDING = 256;

export interface AgentEventsOptions {
  /** Sends a batch; false when the link is down (the batch is kept). Without it nothing is recorded. */
  send?: (items: AgentEvent[]) => boolean;
  periodMs?: number;
  /** The same event is sent again at most this often (default 10 s); repeats in between add to its count. */
  repeatMs?: number;
  now?: () => number;
  log: (line: string) => void;
}

export class AgentEvents {
  private readonly pending = new Map<string, AgentEvent>();
  /** When each recently sent event last went out. */
  private readonly sentAt = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private dropped = 0;

  constructor(private readonly opts: AgentEventsOptions) {}

  readonly record: RecordEvent = (e) => {
    if (!this.opts.send) return;
    const key = `${e.kind}|${e.namespace}|${e.name}|${e.uid}|${e.fieldPath ?? ""}|${e.type}|${e.reason}|${e.message}`;
    const known = this.pending.get(key);
    if (known) known.count++;
    else if (this.pending.size < MAX_PENDING) this.pending.set(key, { ...e, count: 1 });
    else this.dropped++;
  };

  /** Sends what is pending and due, if the link takes it. */
  flush(): void {
    if (this.pending.size === 0 || !this.opts.send) return;
    const now = (this.opts.now ?? Date.now)();
    const repeatMs = this.opts.repeatMs ?? 10_000;
    for (const [key, at] of this.sentAt) if (now - at >= repeatMs) this.sentAt.delete(key);
    const due = [...this.pending].filter(([key]) => !this.sentAt.has(key));
    if (due.length === 0 || !this.opts.send(due.map(([, e]) => e))) return;
    for (const [key] of due) {
      this.pending.delete(key);
      this.sentAt.set(key, now);
    }
    if (this.dropped > 0) {
      this.opts.log(`${this.dropped} event(s) were dropped while the link was down (${MAX_PENDING} kept)`);
      this.dropped = 0;
    }
  }

  start(): void {
    this.timer ??= setInterval(() => this.flush(), this.opts.periodMs ?? 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }
}
