// Builds the controllers that run inside `tug server` on the shared informer,
// then starts the informer (handlers must be registered before its list).

import type { Clock } from "../core/clock.ts";
import type { ControllerContext } from "../core/controllers/context.ts";
import type { Controller } from "../core/controllers/controller.ts";
import { GarbageCollector } from "../core/controllers/garbage-collector.ts";
import { NamespaceController } from "../core/controllers/namespace-controller.ts";
import { RegistryEventRecorder } from "../core/events/recorder.ts";
import { EndpointsController } from "../core/controllers/endpoints/controller.ts";
import { ServiceLoadBalancerController } from "../core/controllers/service-load-balancer-controller.ts";
import { EventTtlController } from "../core/controllers/event-ttl-controller.ts";
import { NodeIpamController } from "../core/controllers/node-ipam-controller.ts";
import { NodeLifecycleController, type NodeLifecycleOptions } from "../core/controllers/node-lifecycle/controller.ts";
import { ResourceQuotaController } from "../core/controllers/resource-quota-controller.ts";
import { ServiceAccountController } from "../core/controllers/service-account-controller.ts";
import { DaemonSetController } from "../core/controllers/daemon-set/controller.ts";
import { DeploymentController } from "../core/controllers/deployment/controller.ts";
import { ReplicaSetController } from "../core/controllers/replica-set/controller.ts";
import { SchedulerController } from "../core/scheduler/scheduler-controller.ts";
import { CronJobController } from "../core/controllers/cron-job/cron-job-controller.ts";
import { JobController } from "../core/controllers/job/job-controller.ts";
import { StatefulSetController } from "../core/controllers/stateful-set/controller.ts";
import type { Informer } from "../core/informer/informer.ts";
import { registerStandardIndexes } from "../core/informer/indexes.ts";
import type { Registry } from "../core/registry/registry.ts";

export interface RunningControllers {
  context: ControllerContext;
  controllers: Controller[];
  stop(): Promise<void>;
}

export interface ControllerOptions {
  nodeLifecycle?: NodeLifecycleOptions;
  /** Run no controllers (the informer still runs: admission reads namespaces from it). */
  disableControllerManager?: boolean;
  disableScheduler?: boolean;
}

/** Every controller of the server, in start order. A Record would not fit: some take options. */
export function buildControllers(ctx: ControllerContext, opts: ControllerOptions = {}): Controller[] {
  return [
    new GarbageCollector(ctx),
    new NamespaceController(ctx),
    new ServiceAccountController(ctx),
    new ResourceQuotaController(ctx),
    new NodeLifecycleController(ctx, opts.nodeLifecycle),
    new NodeIpamController(ctx),
    new EndpointsController(ctx),
    new ServiceLoadBalancerController(ctx),
    new EventTtlController(ctx),
    new ReplicaSetController(ctx),
    new DeploymentController(ctx),
    new DaemonSetController(ctx),
    new StatefulSetController(ctx),
    new JobController(ctx),
    new CronJobController(ctx),
  ];
}

export async function startControllers(registry: Registry, informer: Informer, clock: Clock, opts: ControllerOptions = {}): Promise<RunningControllers> {
  const report = (what: string) => (err: unknown) => console.error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  const events = new RegistryEventRecorder(registry, { component: "tug-controller-manager", clock, onError: report("events") });
  const schedulerEvents = new RegistryEventRecorder(registry, { component: "default-scheduler", clock, onError: report("events") });
  const context: ControllerContext = {
    registry,
    informer,
    clock,
    events,
    onError: (controller, key, err) => report(`${controller}: ${key}`)(err),
  };
  registerStandardIndexes(informer);
  const controllers = [
    ...(opts.disableControllerManager ? [] : buildControllers(context, opts)),
    // Its events say "default-scheduler", as kubectl users expect to read.
    ...(opts.disableScheduler ? [] : [new SchedulerController({ ...context, events: schedulerEvents })]),
  ];
  await informer.start();
  for (const c of controllers) c.start?.();
  return {
    context,
    controllers,
    stop: async () => {
      informer.stop();
      for (const c of controllers) c.stop();
      await events.flush();
      await schedulerEvents.flush();
    },
  };
}
