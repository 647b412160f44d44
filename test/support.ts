// Small helpers every test folder uses.

import { TugError } from "../core/errors.ts";
import type { Informer } from "../core/informer/informer.ts";
import type { Registry } from "../core/registry/registry.ts";
import type { KubeObject } from "../core/resources/object.ts";

/** Polls `fn` until `ok` holds or the time is up, and returns the last value (the caller's expect then shows it). */
export async function eventually<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let v = await fn();
  while (!ok(v) && Date.now() < end) {
    await Bun.sleep(20);
    v = await fn();
  }
  return v;
}

/** The TugError `f` throws; fails the test if it throws nothing or something else. */
export function errorOf(f: () => unknown): TugError {
  try {
    f();
  } catch (e) {
    if (e instanceof TugError) return e;
    throw e;
  }
  throw new Error("expected a TugError");
}

/** "ok", or the code of the TugError the promise rejects with. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (e instanceof TugError) return e.code;
    throw e;
  }
}

/** The body at `url`, or "" when nothing answers within `timeoutMs` (for polling a server that is still starting). */
export async function textAt(url: string, timeoutMs = 2000): Promise<string> {
  try {
    return await (await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })).text();
  } catch {
    return "";
  }
}

/** Collects what console.log prints (the server's log lines) until restore(). */
export function captureConsoleLog(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  };
  return { lines, restore: () => void (console.log = original) };
}

/**
 * Plays the node agents of nodes that have none (tests of controllers and of
 * the API with made-up nodes): a Pod marked for graceful deletion is removed
 * at once, as an agent does once the pod's containers are gone.
 */
export function endTerminatingPods(informer: Informer, registry: Registry): void {
  const end = (o: KubeObject) => {
    if (o.kind !== "Pod" || !o.metadata.deletionTimestamp || !o.metadata.deletionGracePeriodSeconds) return;
    void registry.delete("Pod", o.metadata.namespace ?? "", o.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: o.metadata.uid } }).catch(() => undefined);
  };
  informer.on({ add: end, update: end });
}
