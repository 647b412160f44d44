// Does a node satisfy a pod's hard placement rules: spec.nodeSelector and
// requiredDuringSchedulingIgnoredDuringExecution node affinity. The term
// matching is the scheduler's (core/scheduler/node-selector.ts), so a
// DaemonSet and the scheduler never disagree about a node.

import { anyTermMatches, compileTerm, compileTerms, termMatches, type NodeSelectorRequirement, type NodeSelectorTerm } from "../../scheduler/node-selector.ts";

export type { NodeSelectorRequirement, NodeSelectorTerm };

/** The parts of a PodSpec that pin it to nodes. */
export interface NodePlacementSpec {
  nodeSelector?: Record<string, string>;
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
    };
  };
}

/** What of a node the predicates look at. */
export interface NodeIdentity {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** One matchExpressions entry against node labels; an unknown operator or a bad value never matches. */
export function matchesNodeSelectorRequirement(req: NodeSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const term = compileTerm({ matchExpressions: [req] });
  return term !== undefined && termMatches(term, "", labels);
}

/** Terms are ORed, requirements inside a term ANDed; a term without any requirement, or no terms, matches nothing. */
export function matchesNodeSelectorTerms(terms: readonly NodeSelectorTerm[], node: NodeIdentity): boolean {
  return anyTermMatches(compileTerms(terms), node.name, node.labels);
}

/** nodeSelector (every label equal) and, when present, the required node affinity. */
export function fitsNodeAffinity(spec: NodePlacementSpec, node: NodeIdentity): boolean {
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) {
    if (!Object.hasOwn(node.labels, k) || node.labels[k] !== v) return false;
  }
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required === undefined) return true;
  return matchesNodeSelectorTerms(required.nodeSelectorTerms ?? [], node);
}
