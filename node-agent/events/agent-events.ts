// The Events this agent records about its Node and its pods, as kubelet does
// (see pod-events.ts for the pod ones). They are coalesced while they wait
// (the same event again only bumps its count), sent up the link once a
// second, and kept while the link is down (bounded), so what happened offline
// still shows in `kubectl describe` and `kubectl get events` once it is back.

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
  log: (line: string) => void;
}

export class AgentEvents {
  private readonly pending = new Map<string, AgentEvent>();
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

  /** Sends what is pending, if the link takes it. */
  flush(): void {
    if (this.pending.size === 0 || !this.opts.send?.([...this.pending.values()])) return;
    this.pending.clear();
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
