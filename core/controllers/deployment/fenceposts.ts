// maxSurge and maxUnavailable of a rolling update resolved against the
// desired replica count: ints as they are, percentages with surge rounded up
// and unavailability rounded down, and never both zero (Kubernetes'
// ResolveFenceposts: if rounding makes both 0, one pod may be unavailable).

import type { Deployment } from "../../resources/apps.ts";
import type { IntOrString } from "../../resources/meta.ts";

/** GetScaledValueFromIntOrPercent; a string that is not a percentage counts as 0 (validation refuses it). */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === "number") return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true);
  const unavailable = scaledValue(maxUnavailable, desired, false);
  // Validation forbids both 0; rounding down can still get there, and surge may be impossible (quota).
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}

export function isRollingUpdate(d: Deployment): boolean {
  return d.spec.strategy.type === "RollingUpdate";
}

/** Pods above spec.replicas a rollout may create; 0 for Recreate. */
export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, d.spec.replicas).surge;
}

/** Pods below spec.replicas a rollout may leave unavailable (at most spec.replicas); 0 for Recreate. */
export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || d.spec.replicas === 0) return 0;
  const ru = d.spec.strategy.rollingUpdate;
  return Math.min(resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, d.spec.replicas).unavailable, d.spec.replicas);
}
