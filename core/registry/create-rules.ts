// Per-kind rules applied when an object is created: what its status starts as.
// A Record over every kind, so a new kind must decide.

import type { KindName } from "../resources/kinds.ts";

type StatusRule = { keep: true } | { reset: () => Record<string, unknown> };

const reset = (s: Record<string, unknown> = {}): StatusRule => ({ reset: () => structuredClone(s) });

export const STATUS_ON_CREATE: Record<KindName, StatusRule> = {
  Namespace: reset({ phase: "Active" }),
  // Agents register their node with its status.
  Node: { keep: true },
  Pod: reset({ phase: "Pending" }),
  Service: reset({ loadBalancer: {} }),
  Endpoints: { keep: true },
  ConfigMap: { keep: true },
  Secret: { keep: true },
  Event: { keep: true },
  ServiceAccount: { keep: true },
  Deployment: reset(),
  ReplicaSet: reset({ replicas: 0 }),
  DaemonSet: reset({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 }),
  StatefulSet: reset({ replicas: 0, availableReplicas: 0 }),
  Job: reset(),
  CronJob: reset(),
};
