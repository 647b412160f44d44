// The one write path: HTTP handlers and in-process controllers both go
// through the Registry, which does admission (shape, defaults, validation,
// namespace checks, status/spec separation) and then calls the Store.

import { rfc3339, systemClock, type Clock } from "../clock.ts";
import { TugError } from "../errors.ts";
import { applyPatch } from "../patch/index.ts";
import { deepEqual } from "../deep-equal.ts";
import { apiVersionOf, displayName, KINDS, type KindName } from "../resources/kinds.ts";
import type { LimitRange } from "../resources/policy.ts";
import { addDefaultTolerations } from "./admission/default-tolerations.ts";
import { applyLimitRanges } from "./admission/limit-ranger.ts";
import { QuotaGate } from "./admission/quota-gate.ts";
import {
  allocationsOf,
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  parseServiceCidr,
  planServiceAllocation,
  ServiceAllocationGate,
  type Allocations,
  type Ipv4Range,
  type NodePortRange,
} from "./admission/service-allocation.ts";
import type { KubeObject, ObjectKey } from "../resources/object.ts";
import { invalidError as invalid, validateObject, validateUpdate } from "../resources/validate.ts";
import { generateJobSelector, type Job } from "../resources/batch.ts";
import type { Service } from "../resources/service.ts";
import { randomNameSuffix } from "../store/object-meta.ts";
import { parseFieldSelector, matchesFields } from "../selectors/field-selector.ts";
import { parseLabelSelector, matchesLabels } from "../selectors/label-selector.ts";
import type { DeleteResult, ListResult, ObjectFilter, Store, StoreEvent, Watch } from "../store/store.ts";
import { carryAllocatedValues, STATUS_ON_CREATE } from "./kind-rules.ts";
import { scaleOf, withReplicas } from "./scale.ts";

export type Subresource = "status" | "scale";
export type PropagationPolicy = "Background" | "Foreground" | "Orphan";

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ListQuery extends Selectors {
  namespace?: string;
  limit?: number;
  continue?: string;
}

export interface WatchQuery extends Selectors {
  namespace?: string;
  fromRV?: number;
}

export interface DeleteRequest {
  propagationPolicy?: string;
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Pods: how long the node has to stop the containers (default the pod's terminationGracePeriodSeconds; 0 = now). */
  gracePeriodSeconds?: number;
}

/** Finalizers the garbage collector and namespace controller honour. */
export const FOREGROUND_FINALIZER = "foregroundDeletion";
export const ORPHAN_FINALIZER = "orphan";
export const NAMESPACE_FINALIZER = "kubernetes";

const SERVER_MANAGED = ["uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"] as const;

/** Node statuses equal but for conditions[].lastHeartbeatTime. */
function sameApartFromHeartbeats(a: unknown, b: unknown): boolean {
  const strip = (s: unknown) => {
    if (!isObject(s) || !Array.isArray(s.conditions)) return s;
    return { ...s, conditions: s.conditions.map((c) => (isObject(c) ? { ...c, lastHeartbeatTime: undefined } : c)) };
  };
  return deepEqual(strip(a), strip(b));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Objects read from a cache kept current with the store (the informer: it is
 * updated before a write resolves), instead of from the store.
 */
export interface ObjectCache {
  get(kind: string, namespace: string, name: string): KubeObject | undefined;
  list(kind: string, namespace?: string): KubeObject[];
}

export interface RegistryOptions {
  /** Without it, admission reads namespaces, LimitRanges and quotas from the store on every create. */
  cache?: ObjectCache;
  clock?: Clock;
  /** How long pods tolerate a not-ready or unreachable node (default 30 s). */
  defaultTolerationSeconds?: number;
  /**
   * Told when a Node status update only moves heartbeat times: such an
   * update is not written (SD cards wear out); the node lifecycle controller
   * keeps heartbeats in memory.
   */
  onNodeHeartbeat?: (node: string) => void;
  /** Where Services' cluster IPs come from (default 10.43.0.0/16); BadRequest when not an IPv4 CIDR. */
  serviceCidr?: string;
  /** Where NodePort and LoadBalancer ports come from (default 30000-32767). */
  nodePortRange?: NodePortRange;
}

export class Registry {
  private readonly quota: QuotaGate;
  private readonly serviceCidr: Ipv4Range;
  private readonly services = new ServiceAllocationGate();

  constructor(
    readonly store: Store,
    private readonly opts: RegistryOptions = {},
  ) {
    this.serviceCidr = parseServiceCidr(opts.serviceCidr ?? DEFAULT_SERVICE_CIDR);
    this.quota = new QuotaGate(
      (kind, namespace) => this.listIn(kind, namespace),
      (obj) => this.store.create(obj),
    );
  }

  private key(kind: KindName, namespace: string, name: string): ObjectKey {
    return { kind, namespace: KINDS[kind].namespaced ? namespace : "", name };
  }

  private async listIn(kind: string, namespace: string): Promise<KubeObject[]> {
    return this.opts.cache ? this.opts.cache.list(kind, namespace) : (await this.store.list(kind, { namespace })).items;
  }

  /**
   * Runs a Service write through the allocation gate with what other Services
   * hold; other kinds run directly.
   */
  private withAllocations<T>(kind: KindName, write: (used: Allocations | undefined) => Promise<T>): Promise<T> {
    if (kind !== "Service") return write(undefined);
    return this.services.run(async () => {
      const all = this.opts.cache ? this.opts.cache.list("Service") : (await this.store.list("Service")).items;
      return write(allocationsOf(all));
    });
  }

  private allocate(svc: KubeObject, used: Allocations, current?: KubeObject): KubeObject {
    const opts = { cidr: this.serviceCidr, nodePorts: this.opts.nodePortRange ?? DEFAULT_NODE_PORT_RANGE, used, current: current as Service | undefined };
    return planServiceAllocation(svc as Service, opts) as KubeObject;
  }

  async get(kind: KindName, namespace: string, name: string): Promise<KubeObject> {
    const obj = await this.store.get(this.key(kind, namespace, name));
    if (!obj) throw new TugError("NotFound", `${displayName(kind, name)} not found`, { name, kind: KINDS[kind].plural, group: KINDS[kind].group });
    return obj;
  }

  /** Builds the filter for label and field selectors; bad syntax is BadRequest. */
  filterFor(kind: KindName, sel: Selectors): ObjectFilter | undefined {
    const labels = sel.labelSelector ? parseLabelSelector(sel.labelSelector) : undefined;
    const fields = sel.fieldSelector ? parseFieldSelector(sel.fieldSelector, kind) : undefined;
    if (!labels && !fields) return undefined;
    return (o) => (!labels || matchesLabels(labels, o.metadata.labels)) && (!fields || matchesFields(fields, o));
  }

  list(kind: KindName, q: ListQuery = {}): Promise<ListResult> {
    return this.store.list(kind, {
      namespace: KINDS[kind].namespaced ? q.namespace : undefined,
      filter: this.filterFor(kind, q),
      limit: q.limit,
      continue: q.continue,
    });
  }

  watch(kind: KindName, q: WatchQuery, onEvent: (ev: StoreEvent) => void): Watch {
    return this.store.watch(
      { kind, namespace: KINDS[kind].namespaced ? q.namespace : undefined, fromRV: q.fromRV, filter: this.filterFor(kind, q) },
      onEvent,
    );
  }

  /** Checks apiVersion/kind/namespace/name of a body against the request. */
  private shape(kind: KindName, namespace: string, body: unknown, urlName?: string): KubeObject {
    if (!isObject(body)) throw new TugError("BadRequest", "the request body must be a JSON or YAML object");
    const want = apiVersionOf(kind);
    if (body.apiVersion !== undefined && body.apiVersion !== want) {
      throw new TugError("BadRequest", `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${want})`);
    }
    if (body.kind !== undefined && body.kind !== kind) {
      throw new TugError("BadRequest", `the kind in the data (${String(body.kind)}) does not match the expected kind (${kind})`);
    }
    const metadata = body.metadata === undefined ? {} : body.metadata;
    if (!isObject(metadata)) throw new TugError("BadRequest", "metadata must be an object");
    const obj = { ...body, apiVersion: want, kind, metadata: { ...metadata } } as KubeObject;
    if (KINDS[kind].namespaced) {
      const ns = obj.metadata.namespace;
      if (ns !== undefined && ns !== "" && ns !== namespace) {
        throw new TugError("BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
      }
      obj.metadata.namespace = namespace;
    } else {
      delete obj.metadata.namespace;
    }
    if (urlName !== undefined && obj.metadata.name !== undefined && obj.metadata.name !== urlName) {
      throw new TugError("BadRequest", `the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${urlName})`);
    }
    if (urlName !== undefined) obj.metadata.name = urlName;
    return obj;
  }

  private admit(kind: KindName, obj: KubeObject): KubeObject {
    const res = validateObject(kind, obj);
    if (!res.ok) throw invalid(kind, obj.metadata.name ?? obj.metadata.generateName ?? "", res.causes);
    return res.object;
  }

  private async checkNamespace(kind: KindName, namespace: string): Promise<void> {
    if (!KINDS[kind].namespaced) return;
    const ns = this.opts.cache ? this.opts.cache.get("Namespace", "", namespace) : await this.store.get({ kind: "Namespace", namespace: "", name: namespace });
    if (!ns) throw new TugError("NotFound", `namespaces "${namespace}" not found`, { name: namespace, kind: "namespaces" });
    if (ns.metadata.deletionTimestamp) {
      throw new TugError("Forbidden", `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  async create(kind: KindName, namespace: string, body: unknown): Promise<KubeObject> {
    const obj = this.shape(kind, namespace, body);
    for (const f of SERVER_MANAGED) delete obj.metadata[f];
    // Name and uid are settled here, before admission, because a Job's generated selector needs both.
    if (!obj.metadata.name && typeof obj.metadata.generateName === "string" && obj.metadata.generateName) {
      obj.metadata.name = obj.metadata.generateName + randomNameSuffix();
    }
    obj.metadata.uid = crypto.randomUUID();
    const rule = STATUS_ON_CREATE[kind];
    if ("reset" in rule) obj.status = rule.reset();
    let prepared = obj;
    if (kind === "Pod") {
      const ranges = (await this.listIn("LimitRange", namespace)) as LimitRange[];
      prepared = addDefaultTolerations(applyLimitRanges(prepared, ranges), this.opts.defaultTolerationSeconds ?? 30);
    }
    let admitted = this.admit(kind, prepared);
    if (kind === "Job") admitted = generateJobSelector(admitted as Job, obj.metadata.uid) as KubeObject;
    await this.checkNamespace(kind, namespace);
    if (!KINDS[kind].namespaced) return this.store.create(admitted);
    return this.withAllocations(kind, (used) => this.quota.create(namespace, used ? this.allocate(admitted, used) : admitted));
  }

  /**
   * The object `next` becomes, given the current one: the main resource keeps
   * the current status, the status subresource changes only status.
   */
  private merge(kind: KindName, current: KubeObject, next: KubeObject, sub: Subresource | undefined, used?: Allocations): KubeObject {
    let merged: KubeObject;
    if (kind === "Node" && sub === "status" && this.opts.onNodeHeartbeat && sameApartFromHeartbeats(current.status, next.status)) {
      this.opts.onNodeHeartbeat(current.metadata.name!);
      return current;
    }
    if (sub === "status") {
      merged = { ...current, status: next.status, metadata: { ...current.metadata, resourceVersion: next.metadata.resourceVersion } };
    } else if (KINDS[kind].hasStatus) {
      merged = { ...next, status: current.status };
      if (current.status === undefined) delete merged.status;
    } else {
      merged = next;
    }
    merged = carryAllocatedValues(kind, current, merged);
    let admitted = this.admit(kind, merged);
    if (used && sub !== "status") admitted = this.allocate(admitted, used, current);
    const causes = validateUpdate(kind, current, admitted);
    if (causes.length) throw invalid(kind, current.metadata.name ?? "", causes);
    return admitted;
  }

  replace(kind: KindName, namespace: string, name: string, body: unknown, sub?: Subresource): Promise<KubeObject> {
    const next = this.shape(kind, namespace, body, name);
    return this.withAllocations(kind, (used) => this.store.update(this.key(kind, namespace, name), (current) => this.merge(kind, current, next, sub, used)));
  }

  /** Applies a patch atomically to the current object. Server-side apply creates a missing object. */
  async patch(kind: KindName, namespace: string, name: string, contentType: string, body: unknown, sub?: Subresource): Promise<{ object: KubeObject; created: boolean }> {
    try {
      const object = await this.withAllocations(kind, (used) =>
        this.store.update(this.key(kind, namespace, name), (current) => {
          const patched = applyPatch(contentType, current, body, kind);
          return this.merge(kind, current, this.shape(kind, namespace, patched, name), sub, used);
        }),
      );
      return { object, created: false };
    } catch (e) {
      if (e instanceof TugError && e.code === "NotFound" && contentType.startsWith("application/apply-patch")) {
        return { object: await this.create(kind, namespace, this.shape(kind, namespace, body, name)), created: true };
      }
      throw e;
    }
  }

  /**
   * Binds a pending Pod to a node (the pods/binding subresource): sets
   * spec.nodeName and the PodScheduled condition in one write.
   */
  async bind(namespace: string, name: string, body: unknown): Promise<KubeObject> {
    const target = isObject(body) && isObject(body.target) ? body.target : undefined;
    const node = target?.name;
    if (typeof node !== "string" || !node) throw new TugError("BadRequest", "a Binding needs target.name, the node to bind to");
    const now = rfc3339((this.opts.clock ?? systemClock).now());
    return this.store.update(this.key("Pod", namespace, name), (pod) => {
      const spec = (pod.spec ?? {}) as { nodeName?: string };
      if (pod.metadata.deletionTimestamp) throw new TugError("Conflict", `pod ${name} is being deleted, cannot be assigned to a host`);
      if (spec.nodeName && spec.nodeName !== node) throw new TugError("Conflict", `pod ${name} is already assigned to node "${spec.nodeName}"`);
      const status = (pod.status ?? {}) as { conditions?: { type: string }[] };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== "PodScheduled");
      conditions.push({ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now } as { type: string });
      return { ...pod, spec: { ...spec, nodeName: node }, status: { ...status, conditions } };
    });
  }

  async getScale(kind: KindName, namespace: string, name: string): Promise<KubeObject> {
    return scaleOf(kind, await this.get(kind, namespace, name));
  }

  /** PUT (contentType undefined) or PATCH of the autoscaling/v1 Scale of an object. */
  async updateScale(kind: KindName, namespace: string, name: string, body: unknown, contentType?: string): Promise<KubeObject> {
    if (!contentType && !isObject(body)) throw new TugError("BadRequest", "the request body must be a Scale object");
    const updated = await this.store.update(this.key(kind, namespace, name), (current) => {
      const scale = scaleOf(kind, current);
      const next = contentType ? applyPatch(contentType, scale, body, kind) : body;
      return this.merge(kind, current, withReplicas(current, next), undefined);
    });
    return scaleOf(kind, updated);
  }

  async delete(kind: KindName, namespace: string, name: string, req: DeleteRequest = {}): Promise<DeleteResult> {
    const policy = req.propagationPolicy ?? "Background";
    if (policy !== "Background" && policy !== "Foreground" && policy !== "Orphan") {
      throw new TugError("BadRequest", `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    }
    const addFinalizers = policy === "Foreground" ? [FOREGROUND_FINALIZER] : policy === "Orphan" ? [ORPHAN_FINALIZER] : [];
    // A namespace empties asynchronously: it stays Terminating until the namespace controller has removed its content.
    if (kind === "Namespace") addFinalizers.push(NAMESPACE_FINALIZER);
    if (req.gracePeriodSeconds !== undefined && (!Number.isInteger(req.gracePeriodSeconds) || req.gracePeriodSeconds < 0)) {
      throw new TugError("BadRequest", `gracePeriodSeconds: Invalid value: ${JSON.stringify(req.gracePeriodSeconds)}: must be a non-negative integer`);
    }
    const gracePeriodSeconds = kind === "Pod" ? podGracePeriod(await this.get(kind, namespace, name), req.gracePeriodSeconds) : 0;
    return this.store.delete(this.key(kind, namespace, name), { preconditions: req.preconditions, addFinalizers, gracePeriodSeconds });
  }
}

/**
 * How long a Pod's deletion waits for its node (Kubernetes' pod strategy): the
 * asked grace, else terminationGracePeriodSeconds (30); none for a pod no node
 * runs (unscheduled) or that has finished.
 */
function podGracePeriod(pod: KubeObject, asked: number | undefined): number {
  const spec = (pod.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (!spec.nodeName || phase === "Succeeded" || phase === "Failed") return 0;
  return asked ?? spec.terminationGracePeriodSeconds ?? 30;
}
