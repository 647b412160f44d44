// Turns a Kubernetes REST path into what it addresses: which kind, which
// namespace, which object and which subresource. Pure, so the many path
// shapes are tested with a table.

import { kindByPlural, KINDS, type KindName } from "../core/resources/kinds.ts";

export interface ResourcePath {
  kind: KindName;
  /** "" for cluster-scoped kinds and for lists across all namespaces. */
  namespace: string;
  /** Undefined for a collection. */
  name?: string;
  subresource?: string;
}

/**
 * `segments` are the path parts after `/api/v1` or `/apis/{group}/{version}`.
 * Returns undefined for paths that address nothing we serve.
 */
export function parseResourcePath(group: string, version: string, segments: string[]): ResourcePath | undefined {
  const [first, second, third, fourth, fifth, ...rest] = segments;
  if (!first || rest.length) return undefined;
  if (first === "namespaces" && second !== undefined && third !== undefined) {
    const nsKind = kindByPlural(group, version, third);
    if (nsKind && KINDS[nsKind].namespaced) {
      return { kind: nsKind, namespace: second, name: fourth, subresource: fifth };
    }
  }
  if (fourth !== undefined) return undefined;
  const kind = kindByPlural(group, version, first);
  if (!kind) return undefined;
  // A namespaced kind has no item path outside a namespace: /api/v1/pods/x is not a pod.
  if (KINDS[kind].namespaced && second !== undefined) return undefined;
  return { kind, namespace: "", name: second, subresource: third };
}
