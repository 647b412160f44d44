// Kubernetes Events written by controllers and the scheduler. Repeats of the
// same (object, type, reason, message) bump `count` and `lastTimestamp` on
// one Event instead of creating another, as kubectl users expect; the
// event-ttl controller removes old ones.

import { rfc3339, type Clock } from "../clock.ts";
import { TugError } from "../errors.ts";
import { apiVersionOf, isKindName } from "../resources/kinds.ts";
import type { KubeObject } from "../resources/object.ts";
import type { Registry } from "../registry/registry.ts";

export type EventType = "Normal" | "Warning";

/** What a node's agent adds to an Event: which container, which host, and how many repeats it coalesced. */
export interface EventDetail {
  /** e.g. "spec.containers{web}"; part of what makes two events the same. */
  fieldPath?: string;
  /** The node that saw it (source.host). */
  host?: string;
  /** Repeats this record stands for (default 1). */
  count?: number;
}

export interface EventRecorder {
  /** Fire-and-forget: the write happens in the background, in call order. */
  record(obj: KubeObject, type: EventType, reason: string, message: string, detail?: EventDetail): void;
}

/** Remembers this many distinct events for de-duplication. */
const DEDUP_ENTRIES = 4096;

export interface RecorderOptions {
  component: string;
  clock: Clock;
  onError?: (err: unknown) => void;
}

export class RegistryEventRecorder implements EventRecorder {
  private readonly seen = new Map<string, { namespace: string; name: string }>();
  /** Writes of one event run in order; different events are written concurrently (one flush serves many). */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly registry: Registry,
    private readonly opts: RecorderOptions,
  ) {}

  record(obj: KubeObject, type: EventType, reason: string, message: string, detail: EventDetail = {}): void {
    const key = this.dedupKey(obj, type, reason, message, detail);
    const before = this.inFlight.get(key) ?? Promise.resolve();
    const next = before.then(() => this.write(obj, type, reason, message, detail)).catch((e: unknown) => this.opts.onError?.(e));
    this.inFlight.set(key, next);
    void next.then(() => {
      if (this.inFlight.get(key) === next) this.inFlight.delete(key);
    });
  }

  /** Resolves when every event recorded so far is written. */
  async flush(): Promise<void> {
    while (this.inFlight.size) await Promise.all(this.inFlight.values());
  }

  private dedupKey(obj: KubeObject, type: EventType, reason: string, message: string, detail: EventDetail): string {
    return `${obj.metadata.uid}|${detail.fieldPath ?? ""}|${type}|${reason}|${message}`;
  }

  private async write(obj: KubeObject, type: EventType, reason: string, message: string, detail: EventDetail): Promise<void> {
    const now = rfc3339(this.opts.clock.now());
    const dedupKey = this.dedupKey(obj, type, reason, message, detail);
    const repeats = detail.count ?? 1;
    const known = this.seen.get(dedupKey);
    if (known) {
      try {
        await this.registry.store.update({ kind: "Event", namespace: known.namespace, name: known.name }, (ev) => ({
          ...ev,
          count: ((ev.count as number | undefined) ?? 1) + repeats,
          lastTimestamp: now,
        }));
        // Refresh its place in the LRU order.
        this.seen.delete(dedupKey);
        this.seen.set(dedupKey, known);
        return;
      } catch (e) {
        if (!(e instanceof TugError && e.code === "NotFound")) throw e;
        this.seen.delete(dedupKey);
      }
    }
    const namespace = obj.metadata.namespace || "default";
    // Time plus randomness, as hex; (ms * 1e6 + random) would lose the random part to float precision.
    const suffix = Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, "0");
    const name = `${obj.metadata.name}.${this.opts.clock.now().toString(16)}${suffix}`;
    await this.registry.create("Event", namespace, {
      metadata: { name, namespace },
      involvedObject: {
        kind: obj.kind,
        namespace: obj.metadata.namespace ?? "",
        name: obj.metadata.name,
        uid: obj.metadata.uid,
        apiVersion: isKindName(obj.kind) ? apiVersionOf(obj.kind) : obj.apiVersion,
        resourceVersion: obj.metadata.resourceVersion,
        ...(detail.fieldPath ? { fieldPath: detail.fieldPath } : {}),
      },
      reason,
      message,
      type,
      count: repeats,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.opts.component, ...(detail.host ? { host: detail.host } : {}) },
      reportingComponent: this.opts.component,
    });
    this.seen.set(dedupKey, { namespace, name });
    if (this.seen.size > DEDUP_ENTRIES) this.seen.delete(this.seen.keys().next().value!);
  }
}
