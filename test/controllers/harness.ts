// Controllers on the real store: LMDB in a temporary directory, the shared
// informer, the registry (the one write path) and the event recorder, with
// the garbage collector and namespace controller always running, plus the
// controllers a test asks for. No HTTP: tests that need it use test/api.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LmdbStore } from "../../api/store/lmdb-store.ts";
import { ensureSystemNamespaces } from "../../api/bootstrap.ts";
import { systemClock, type Clock } from "../../core/clock.ts";
import type { ControllerContext } from "../../core/controllers/context.ts";
import type { Controller } from "../../core/controllers/controller.ts";
import { GarbageCollector } from "../../core/controllers/garbage-collector.ts";
import { NamespaceController } from "../../core/controllers/namespace-controller.ts";
import { RegistryEventRecorder } from "../../core/events/recorder.ts";
import { Informer } from "../../core/informer/informer.ts";
import { registerStandardIndexes } from "../../core/informer/indexes.ts";
import { Registry } from "../../core/registry/registry.ts";
import { endTerminatingPods } from "../support.ts";

export interface ControllerHarness {
  ctx: ControllerContext;
  registry: Registry;
  store: LmdbStore;
  informer: Informer;
  /** Errors reported by controllers, for tests that expect none. */
  errors: string[];
  stop(): Promise<void>;
}

/**
 * By default a pod marked for deletion ends at once, as if its node's agent
 * confirmed it; `nodesConfirmDeletion: false` leaves it Terminating, as on a
 * node that does not answer.
 */
export async function startControllerHarness(build: (ctx: ControllerContext) => Controller[], opts: { clock?: Clock; nodesConfirmDeletion?: boolean } = {}): Promise<ControllerHarness> {
  const dir = mkdtempSync(join(tmpdir(), "tug-ctrl-"));
  const store = new LmdbStore({ path: dir });
  const clock = opts.clock ?? systemClock;
  const informer = new Informer(store);
  const registry = new Registry(store, { cache: informer, clock });
  const errors: string[] = [];
  const events = new RegistryEventRecorder(registry, { component: "test", clock, onError: (e) => errors.push(`events: ${String(e)}`) });
  const ctx: ControllerContext = { registry, informer, clock, events, onError: (c, k, e) => errors.push(`${c} ${k}: ${e instanceof Error ? e.message : String(e)}`) };
  registerStandardIndexes(informer);
  if (opts.nodesConfirmDeletion !== false) endTerminatingPods(informer, registry);
  const controllers: Controller[] = [new GarbageCollector(ctx), new NamespaceController(ctx), ...build(ctx)];
  await informer.start();
  await ensureSystemNamespaces(registry);
  for (const c of controllers) c.start?.();
  return {
    ctx,
    registry,
    store,
    informer,
    errors,
    stop: async () => {
      for (const c of controllers) c.stop();
      informer.stop();
      await events.flush();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { eventually } from "../support.ts";
