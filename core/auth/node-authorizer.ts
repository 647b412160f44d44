// The node authorizer (Kubernetes' Node authorizer plus the NodeRestriction
// idea): a node credential (`system:node:<n>` in `system:nodes`) may read what
// its own pods need and write only its own Node and its own pods' status.
// It allows or has no opinion; what it does not allow falls through to RBAC,
// which by default gives nodes nothing. Pure: pods come in through a lookup.

import { referencedObjects } from "../mesh/references.ts";
import type { KubeObject } from "../resources/object.ts";
import type { Pod } from "../resources/pod.ts";
import type { RequestAttributes } from "./request-attributes.ts";
import { nodeNameOf, SYSTEM_NODES, type UserInfo } from "./user.ts";

/** Pods as the API's informer holds them. */
export interface NodePodLookup {
  pod(namespace: string, name: string): KubeObject | undefined;
  podsOnNode(node: string): readonly KubeObject[];
}

export interface NodeDecision {
  /** "no-opinion": not this authorizer's to allow; ask RBAC. */
  decision: "allow" | "no-opinion";
  reason: string;
}

const READ = ["get", "list", "watch"];
const WRITE_OWN = ["get", "create", "update", "patch"];
const STATUS_WRITE = ["update", "patch"];
const EVENT_WRITE = ["create", "update", "patch"];

const allow = (reason: string): NodeDecision => ({ decision: "allow", reason });
const noOpinion = (reason = ""): NodeDecision => ({ decision: "no-opinion", reason });

function nodeOf(pod: KubeObject | undefined): string | undefined {
  return (pod?.spec as { nodeName?: string } | undefined)?.nodeName || undefined;
}

/** `spec.nodeName=<node>` (or `==`) among the ANDed terms of a field selector. */
export function selectsNode(fieldSelector: string | undefined, node: string): boolean {
  if (!fieldSelector) return false;
  return fieldSelector.split(",").some((t) => t === `spec.nodeName=${node}` || t === `spec.nodeName==${node}`);
}

type Referenced = "configmaps" | "secrets" | "persistentvolumeclaims";

/** Names of the objects of `resource` a pod uses: env, envFrom, volumes (projected too), image pull secrets. */
export function podReferences(o: KubeObject, resource: Referenced): Set<string> {
  const pod = o as unknown as Pod;
  const out = new Set<string>();
  const refs = referencedObjects([o]);
  const prefix = `${pod.metadata.namespace ?? "default"}/`;
  const strip = (keys: Set<string>) => [...keys].map((k) => k.slice(prefix.length));
  if (resource === "configmaps") strip(refs.configMaps).forEach((n) => out.add(n));
  if (resource === "secrets") {
    strip(refs.secrets).forEach((n) => out.add(n));
    for (const s of pod.spec.imagePullSecrets ?? []) if (s.name) out.add(s.name);
  }
  for (const v of pod.spec.volumes ?? []) {
    if (resource === "persistentvolumeclaims" && v.persistentVolumeClaim?.claimName) out.add(v.persistentVolumeClaim.claimName);
    for (const src of (v.projected?.sources ?? []) as { configMap?: { name?: string }; secret?: { name?: string } }[]) {
      const name = resource === "configmaps" ? src.configMap?.name : resource === "secrets" ? src.secret?.name : undefined;
      if (name) out.add(name);
    }
  }
  return out;
}

function serviceAccountOfPod(pod: KubeObject): string {
  return (pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || "default";
}

/** Decides `attrs` for a node credential; any other user gets no opinion. */
export function nodeAuthorize(user: UserInfo, attrs: RequestAttributes, lookup: NodePodLookup): NodeDecision {
  if (!user.groups.includes(SYSTEM_NODES)) return noOpinion();
  const node = nodeNameOf(user.name);
  if (!node) return noOpinion("unknown node for user");
  if (!attrs.resourceRequest || (attrs.apiGroup !== "" && attrs.apiGroup !== "events.k8s.io")) return noOpinion();
  const { verb, resource, subresource, namespace, name } = attrs;
  const noRelation = noOpinion(`no relationship found between node '${node}' and this object`);
  const ownPod = (): boolean => !!namespace && !!name && nodeOf(lookup.pod(namespace, name)) === node;

  if (attrs.apiGroup === "events.k8s.io") {
    return resource === "events" && !subresource && EVENT_WRITE.includes(verb) ? allow("node may record events") : noOpinion();
  }
  switch (resource) {
    case "pods":
      if (!subresource) {
        if ((verb === "list" || verb === "watch") && selectsNode(attrs.fieldSelector, node)) return allow("node lists its own pods");
        if (verb === "get") return ownPod() ? allow("pod is bound to the node") : noRelation;
        return noOpinion(verb === "list" || verb === "watch" ? `node may ${verb} pods only with fieldSelector spec.nodeName=${node}` : "");
      }
      if (subresource === "status" && STATUS_WRITE.includes(verb)) return ownPod() ? allow("pod is bound to the node") : noRelation;
      return noOpinion();
    case "configmaps":
    case "secrets":
    case "persistentvolumeclaims": {
      if (subresource || verb !== "get" || !namespace || !name) return noOpinion(`node may only get individual ${resource} its pods reference`);
      const used = lookup.podsOnNode(node).some((p) => (p.metadata.namespace ?? "") === namespace && podReferences(p, resource).has(name));
      return used ? allow(`a pod on the node references ${resource} ${namespace}/${name}`) : noRelation;
    }
    case "services":
    case "endpoints":
      return !subresource && READ.includes(verb) ? allow("the service proxier reads services and endpoints") : noOpinion();
    case "nodes":
      if (!subresource && READ.includes(verb)) return allow("nodes read nodes (routes, addresses)");
      if (subresource && subresource !== "status") return noOpinion();
      // A create names no object in its URL: the API must check the body's name (nodeCreateRestriction).
      if (!subresource && verb === "create" && name === undefined) return allow("node registers itself");
      if (name === node && (subresource ? STATUS_WRITE : WRITE_OWN).includes(verb)) return allow("node writes its own Node");
      return noOpinion(`node '${node}' may not ${verb} another node`);
    case "events":
      return !subresource && EVENT_WRITE.includes(verb) ? allow("node may record events") : noOpinion();
    case "serviceaccounts": {
      if (subresource !== "token" || verb !== "create" || !namespace || !name) return noOpinion();
      const used = lookup.podsOnNode(node).some((p) => (p.metadata.namespace ?? "") === namespace && serviceAccountOfPod(p) === name);
      return used ? allow(`a pod on the node runs as serviceaccount ${namespace}/${name}`) : noRelation;
    }
    default:
      return noOpinion();
  }
}

/**
 * NodeRestriction at admission, for what the URL does not say: a node may
 * create only the Node of its own name. Returns a refusal reason, or
 * undefined when the object is fine (or the user is not a node).
 */
export function nodeCreateRestriction(user: UserInfo, attrs: RequestAttributes, object: unknown): string | undefined {
  const node = user.groups.includes(SYSTEM_NODES) ? nodeNameOf(user.name) : undefined;
  if (!node || !attrs.resourceRequest || attrs.apiGroup !== "" || attrs.resource !== "nodes" || attrs.verb !== "create") return undefined;
  const meta = typeof object === "object" && object !== null ? (object as { metadata?: { name?: unknown } }).metadata : undefined;
  const name = meta?.name;
  return name === node ? undefined : `node "${node}" is not allowed to create a Node named ${JSON.stringify(name ?? "")}`;
}
