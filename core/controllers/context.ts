// What every controller is built from: the one write path, the shared
// informer, the clock and the event recorder. cli/ builds one and hands it to
// each controller.

import type { Clock } from "../clock.ts";
import type { EventRecorder } from "../events/recorder.ts";
import type { Informer } from "../informer/informer.ts";
import type { Registry } from "../registry/registry.ts";
import { WorkQueue, type Reconcile } from "./work-queue.ts";

export interface ControllerContext {
  registry: Registry;
  informer: Informer;
  clock: Clock;
  events: EventRecorder;
  /** Reports a failed reconcile (it is retried with back-off). */
  onError: (controller: string, key: string, err: unknown) => void;
}

/** `namespace/name`, the key namespaced controllers queue. */
export function nameKey(obj: { metadata: { namespace?: string; name?: string } }): string {
  return `${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf("/");
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** A controller's work queue, reporting failed reconciles through ctx.onError under the controller's name. */
export function controllerQueue(ctx: ControllerContext, controller: string, reconcile: Reconcile, queueName = controller): WorkQueue {
  return new WorkQueue(reconcile, { name: queueName, onError: (key, err) => ctx.onError(controller, key, err) });
}
