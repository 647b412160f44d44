// Events are kept for a bounded time (one hour by default, as in
// Kubernetes): a periodic sweep deletes those last seen before then.

import { TugError } from "../errors.ts";
import type { Controller } from "./controller.ts";
import type { ControllerContext } from "./context.ts";

export interface EventTtlOptions {
  ttlMs?: number;
  sweepMs?: number;
}

export class EventTtlController implements Controller {
  readonly name = "event-ttl";
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly ttlMs: number;
  private readonly sweepMs: number;

  constructor(
    private readonly ctx: ControllerContext,
    opts: EventTtlOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 3_600_000;
    this.sweepMs = opts.sweepMs ?? 60_000;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((e: unknown) => this.ctx.onError(this.name, "sweep", e));
    }, this.sweepMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Deletes every Event last seen more than the TTL ago. */
  async sweep(): Promise<number> {
    const cutoff = this.ctx.clock.now() - this.ttlMs;
    let deleted = 0;
    for (const ev of this.ctx.informer.list("Event")) {
      const last = Date.parse(String(ev.lastTimestamp ?? ev.eventTime ?? ev.metadata.creationTimestamp ?? ""));
      if (!Number.isFinite(last) || last >= cutoff) continue;
      try {
        await this.ctx.registry.store.delete({ kind: "Event", namespace: ev.metadata.namespace ?? "", name: ev.metadata.name ?? "" });
        deleted++;
      } catch (e) {
        if (!(e instanceof TugError && e.code === "NotFound")) throw e;
      }
    }
    return deleted;
  }
}
