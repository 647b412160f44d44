// Does a node satisfy a pod's hard placement rules: spec.nodeSelector and
// requiredDuringSchedulingIgnoredDuringExecution node affinity. Pure
// predicates after Kubernetes' component-helpers nodeaffinity package; the
// DaemonSet controller needs them without a scheduler.

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

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

const INT64 = /^[+-]?\d+$/;

function parseInt64(s: string | undefined): bigint | undefined {
  return s !== undefined && INT64.test(s) ? BigInt(s) : undefined;
}

/** One matchExpressions entry against node labels; an unknown operator or a bad value never matches. */
export function matchesNodeSelectorRequirement(req: NodeSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = has ? labels[req.key] : undefined;
  const values = req.values ?? [];
  switch (req.operator) {
    case "In":
      return values.length > 0 && value !== undefined && values.includes(value);
    case "NotIn":
      return values.length > 0 && (value === undefined || !values.includes(value));
    case "Exists":
      return values.length === 0 && has;
    case "DoesNotExist":
      return values.length === 0 && !has;
    case "Gt":
    case "Lt": {
      if (values.length !== 1) return false;
      const want = parseInt64(values[0]);
      const got = parseInt64(value);
      if (want === undefined || got === undefined) return false;
      return req.operator === "Gt" ? got > want : got < want;
    }
    default:
      return false;
  }
}

/** matchFields supports only metadata.name with In/NotIn and one value, as in Kubernetes. */
function matchesFieldRequirement(req: NodeSelectorRequirement, node: NodeIdentity): boolean {
  if (req.key !== "metadata.name" || req.values?.length !== 1) return false;
  if (req.operator === "In") return req.values[0] === node.name;
  if (req.operator === "NotIn") return req.values[0] !== node.name;
  return false;
}

/** Requirements of a term are ANDed; a term without any requirement matches nothing. */
export function matchesNodeSelectorTerm(term: NodeSelectorTerm, node: NodeIdentity): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  return exprs.every((r) => matchesNodeSelectorRequirement(r, node.labels)) && fields.every((r) => matchesFieldRequirement(r, node));
}

/** Terms are ORed; no terms matches nothing. */
export function matchesNodeSelectorTerms(terms: readonly NodeSelectorTerm[], node: NodeIdentity): boolean {
  return terms.some((t) => matchesNodeSelectorTerm(t, node));
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
