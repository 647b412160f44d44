// The Events one pod's worker records, in kubelet's words (what `kubectl
// describe pod` users know): Pulling/Pulled/Failed/BackOff for images,
// Created/Started/Failed for containers, BackOff for crash loops, Unhealthy
// for failed probes, Killing when a container is stopped, and
// FailedCreatePodSandBox. Messages that repeat while nothing changes (back-off,
// config errors) are recorded when the container enters that state, not on
// every sync.

import type { Pod } from "../../core/resources/pod.ts";
import type { RecordEvent } from "../events/agent-events.ts";

type Container = Pod["spec"]["containers"][number];

export class PodEvents {
  constructor(
    private readonly record: RecordEvent | undefined,
    private readonly pod: () => Pod,
  ) {}

  pulling(c: Container): void {
    this.normal(c, "Pulling", `Pulling image "${c.image}"`);
  }

  pulled(c: Container, ms: number): void {
    this.normal(c, "Pulled", `Successfully pulled image "${c.image}" in ${(ms / 1000).toFixed(3)}s`);
  }

  present(c: Container): void {
    this.normal(c, "Pulled", `Container image "${c.image}" already present on machine`);
  }

  pullFailed(c: Container, reason: string, message: string): void {
    this.warning(c, "Failed", `Failed to pull image "${c.image}": ${message}`);
    this.warning(c, "Failed", `Error: ${reason}`);
  }

  pullBackOff(c: Container): void {
    this.normal(c, "BackOff", `Back-off pulling image "${c.image}"`);
  }

  created(c: Container): void {
    this.normal(c, "Created", `Created container ${c.name}`);
  }

  started(c: Container): void {
    this.normal(c, "Started", `Started container ${c.name}`);
  }

  /** A container that could not be created or run, or whose config is wrong (a missing key). */
  failed(c: Container, message: string): void {
    this.warning(c, "Failed", `Error: ${message}`);
  }

  crashLoop(c: Container): void {
    this.warning(c, "BackOff", "Back-off restarting failed container");
  }

  unhealthy(c: Container, message: string): void {
    this.warning(c, "Unhealthy", message);
  }

  /** `why` follows "Container NAME ", e.g. "failed liveness probe, will be restarted". */
  killing(c: Container, why?: string): void {
    this.normal(c, "Killing", why ? `Container ${c.name} ${why}` : `Stopping container ${c.name}`);
  }

  sandboxFailed(message: string): void {
    this.emit(undefined, "Warning", "FailedCreatePodSandBox", message);
  }

  private normal(c: Container, reason: string, message: string): void {
    this.emit(c, "Normal", reason, message);
  }

  private warning(c: Container, reason: string, message: string): void {
    this.emit(c, "Warning", reason, message);
  }

  private emit(c: Container | undefined, type: "Normal" | "Warning", reason: string, message: string): void {
    if (!this.record) return;
    const pod = this.pod();
    const init = !!c && (pod.spec.initContainers ?? []).some((x) => x.name === c.name);
    this.record({
      kind: "Pod",
      namespace: pod.metadata.namespace ?? "default",
      name: pod.metadata.name!,
      uid: pod.metadata.uid!,
      ...(c ? { fieldPath: `spec.${init ? "initContainers" : "containers"}{${c.name}}` } : {}),
      type,
      reason,
      message,
    });
  }
}
