// The plugin registry (a plain map from name to factory), the default
// profile (which filters run in which order, which scores with which
// weight) and buildFramework, which turns a profile into plugins.

import { TugError } from "../errors.ts";
import { isFilterPlugin, isScorePlugin, type FilterPlugin, type Framework, type Plugin, type PluginFactory, type Profile, type WeightedScorePlugin } from "./framework.ts";
import { EDGE_THERMAL, edgeThermal } from "./plugins/edge-thermal.ts";
import { NODE_AFFINITY, nodeAffinity } from "./plugins/node-affinity.ts";
import { NODE_PORTS, nodePorts } from "./plugins/node-ports.ts";
import { NODE_READY, nodeReady } from "./plugins/node-ready.ts";
import { NODE_RESOURCES_BALANCED_ALLOCATION, nodeResourcesBalancedAllocation } from "./plugins/node-resources-balanced-allocation.ts";
import { NODE_RESOURCES_FIT, nodeResourcesFit } from "./plugins/node-resources-fit.ts";
import { NODE_RESOURCES_LEAST_ALLOCATED, nodeResourcesLeastAllocated } from "./plugins/node-resources-least-allocated.ts";
import { NODE_UNSCHEDULABLE, nodeUnschedulable } from "./plugins/node-unschedulable.ts";
import { SELECTOR_SPREAD, selectorSpread } from "./plugins/selector-spread.ts";
import { TAINT_TOLERATION, taintToleration } from "./plugins/taint-toleration.ts";

export const PLUGINS: Readonly<Record<string, PluginFactory>> = {
  [NODE_UNSCHEDULABLE]: () => nodeUnschedulable,
  [TAINT_TOLERATION]: () => taintToleration,
  [NODE_READY]: () => nodeReady,
  [NODE_AFFINITY]: () => nodeAffinity,
  [NODE_PORTS]: () => nodePorts,
  [NODE_RESOURCES_FIT]: () => nodeResourcesFit,
  [NODE_RESOURCES_LEAST_ALLOCATED]: () => nodeResourcesLeastAllocated,
  [NODE_RESOURCES_BALANCED_ALLOCATION]: () => nodeResourcesBalancedAllocation,
  [SELECTOR_SPREAD]: () => selectorSpread,
  [EDGE_THERMAL]: () => edgeThermal,
};

/**
 * Cheap and decisive filters first (Kubernetes' order, with NodeReady next
 * to the taint check it stands in for). Weights follow Kubernetes' defaults
 * (TaintToleration 3, NodeAffinity 2, spreading 2, resources 1 each);
 * EdgeThermal weighs like spreading.
 */
export const DEFAULT_PROFILE: Profile = {
  filters: [NODE_UNSCHEDULABLE, TAINT_TOLERATION, NODE_READY, NODE_AFFINITY, NODE_PORTS, NODE_RESOURCES_FIT],
  scores: [
    { name: NODE_RESOURCES_LEAST_ALLOCATED, weight: 1 },
    { name: NODE_RESOURCES_BALANCED_ALLOCATION, weight: 1 },
    { name: NODE_AFFINITY, weight: 2 },
    { name: TAINT_TOLERATION, weight: 3 },
    { name: SELECTOR_SPREAD, weight: 2 },
    { name: EDGE_THERMAL, weight: 2 },
  ],
};

/** Builds a profile's plugins; an unknown name or a plugin without that extension point is Invalid. */
export function buildFramework(profile: Profile = DEFAULT_PROFILE, registry: Readonly<Record<string, PluginFactory>> = PLUGINS): Framework {
  const built = new Map<string, Plugin>();
  const plugin = (name: string): Plugin => {
    let p = built.get(name);
    if (!p) {
      const factory = Object.hasOwn(registry, name) ? registry[name] : undefined;
      if (!factory) throw new TugError("Invalid", `scheduler plugin "${name}" is not registered`);
      built.set(name, (p = factory()));
    }
    return p;
  };
  const filters: FilterPlugin[] = profile.filters.map((name) => {
    const p = plugin(name);
    if (!isFilterPlugin(p)) throw new TugError("Invalid", `scheduler plugin "${name}" is not a Filter plugin`);
    return p;
  });
  const scorers: WeightedScorePlugin[] = profile.scores.map(({ name, weight }) => {
    const p = plugin(name);
    if (!isScorePlugin(p)) throw new TugError("Invalid", `scheduler plugin "${name}" is not a Score plugin`);
    if (!(weight > 0)) throw new TugError("Invalid", `scheduler plugin "${name}" needs a positive weight`);
    return { plugin: p, weight };
  });
  return { filters, scorers };
}

export const DEFAULT_FRAMEWORK: Framework = buildFramework();
