// NodeInfo: one Node plus what the Pods bound (or assumed) to it use: summed
// requests, the non-zero requests scoring uses, the Pod count, host ports in
// use and Pods per controller. Kept up to date incrementally by the
// scheduler cache (cache.ts), never rebuilt per scheduling decision. The
// facts plugins read from the Node itself (allocatable, taints, readiness,
// cordon, thermal reading) are parsed once per Node update, so a plugin reads
// a field instead of walking the object for every Pod.

import type { Node, Taint } from "../resources/cluster.ts";
import type { KubeObject } from "../resources/object.ts";
import { thermalReading } from "./node-annotations.ts";
import { ANY_IP, type HostPort, type PodInfo } from "./pod-info.ts";
import { addResources, emptyResources, parsePodCount, parseResources, type Resources } from "./resources.ts";

const NO_TAINTS: readonly Taint[] = [];
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

export class NodeInfo {
  node!: Node;
  /** False for a placeholder that only holds Pods bound to a Node the cache has not seen (or has lost). */
  present = false;
  allocatable: Resources = emptyResources();
  allowedPodCount = 0;
  labels: Readonly<Record<string, string>> = NO_LABELS;
  /** NoSchedule and NoExecute taints: the ones a Pod must tolerate. */
  hardTaints: readonly Taint[] = NO_TAINTS;
  preferNoScheduleTaints: readonly Taint[] = NO_TAINTS;
  unschedulable = false;
  /** The Ready condition's status; undefined when the node reports none. */
  ready: string | undefined = undefined;
  socTemperature: number | undefined = undefined;
  throttled = false;
  readonly requested: Resources = emptyResources();
  nonZeroMilliCpu = 0;
  nonZeroMemory = 0;
  readonly pods = new Map<string, PodInfo>();
  /** `protocol/port` -> host IP -> how many Pods hold it. */
  readonly usedPorts = new Map<string, Map<string, number>>();
  /** Controller uid -> Pods of that controller here. */
  readonly controllerPods = new Map<string, number>();

  constructor(
    readonly name: string,
    node?: KubeObject,
  ) {
    this.setNode(node ?? { apiVersion: "v1", kind: "Node", metadata: { name }, spec: {}, status: {} });
    this.present = node !== undefined;
  }

  /** The Node changed (or is gone: undefined keeps the last one as a placeholder). */
  setNode(obj: KubeObject | undefined): void {
    if (!obj) {
      this.present = false;
      return;
    }
    const node = (this.node = obj as unknown as Node);
    this.present = true;
    this.allocatable = parseResources(node.status?.allocatable);
    this.allowedPodCount = parsePodCount(node.status?.allocatable);
    this.labels = node.metadata.labels ?? NO_LABELS;
    const taints = node.spec?.taints ?? NO_TAINTS;
    this.hardTaints = taints.filter((t) => t.effect !== "PreferNoSchedule");
    this.preferNoScheduleTaints = taints.filter((t) => t.effect === "PreferNoSchedule");
    this.unschedulable = node.spec?.unschedulable === true;
    this.ready = node.status?.conditions?.find((c) => c.type === "Ready")?.status;
    const thermal = thermalReading(node.metadata.annotations);
    this.socTemperature = thermal.celsius;
    this.throttled = thermal.throttled;
  }

  get podCount(): number {
    return this.pods.size;
  }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.key)) this.removePod(p.key);
    this.pods.set(p.key, p);
    this.account(p, 1);
  }

  /** Returns false when the Pod was not here. */
  removePod(key: string): boolean {
    const p = this.pods.get(key);
    if (!p) return false;
    this.pods.delete(key);
    this.account(p, -1);
    return true;
  }

  private account(p: PodInfo, sign: 1 | -1): void {
    addResources(this.requested, p.requests, sign);
    this.nonZeroMilliCpu += sign * p.nonZeroMilliCpu;
    this.nonZeroMemory += sign * p.nonZeroMemory;
    for (const hp of p.hostPorts) this.countPort(hp, sign);
    const uid = p.controllerUid;
    if (uid) {
      const n = (this.controllerPods.get(uid) ?? 0) + sign;
      if (n > 0) this.controllerPods.set(uid, n);
      else this.controllerPods.delete(uid);
    }
  }

  private countPort(hp: HostPort, sign: 1 | -1): void {
    const key = `${hp.protocol}/${hp.port}`;
    let ips = this.usedPorts.get(key);
    if (!ips) this.usedPorts.set(key, (ips = new Map()));
    const n = (ips.get(hp.ip) ?? 0) + sign;
    if (n > 0) ips.set(hp.ip, n);
    else ips.delete(hp.ip);
    if (ips.size === 0) this.usedPorts.delete(key);
  }

  /** HostPortInfo.CheckConflict: 0.0.0.0 conflicts with every address of the same protocol and port. */
  portInUse(hp: HostPort): boolean {
    const ips = this.usedPorts.get(`${hp.protocol}/${hp.port}`);
    if (!ips) return false;
    return hp.ip === ANY_IP || ips.has(hp.ip) || ips.has(ANY_IP);
  }
}
