// Wires the controllers that run inside `tug server` to the shared informer,
// then starts it (handlers must be registered before the initial list).

import { GarbageCollector } from "../core/controllers/garbage-collector.ts";
import { NamespaceController } from "../core/controllers/namespace-controller.ts";
import { Informer } from "../core/informer/informer.ts";
import type { Registry } from "../core/registry/registry.ts";

export interface RunningControllers {
  stop(): Promise<void>;
}

export async function startControllers(registry: Registry, informer: Informer): Promise<RunningControllers> {
  const report = (name: string) => (key: string, err: unknown) => console.error(`${name}: ${key}: ${err instanceof Error ? err.message : String(err)}`);
  const gc = new GarbageCollector(registry, informer, report("garbage-collector"));
  const ns = new NamespaceController(registry, informer, report("namespace-controller"));
  await informer.start();
  return {
    stop: async () => {
      informer.stop();
      gc.queue.stop();
      ns.queue.stop();
    },
  };
}
