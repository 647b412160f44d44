// Getting a container's image onto the node, by its imagePullPolicy
// (Kubernetes' default: Always for :latest or no tag, else IfNotPresent).

import { defaultPullPolicy } from "../../core/resources/pull-policy.ts";
import type { Pod } from "../../core/resources/pod.ts";
import { RuntimeError, type ContainerRuntime } from "../runtime/runtime.ts";
import type { PodEvents } from "./pod-events.ts";

type Container = Pod["spec"]["containers"][number];

/** Resolves when the image is there; throws RuntimeError(ErrImagePull | ErrImageNeverPull) otherwise. */
export async function ensureImage(runtime: ContainerRuntime, c: Container, log: (line: string) => void, events?: PodEvents): Promise<void> {
  const policy = c.imagePullPolicy ?? defaultPullPolicy(c.image);
  const present = await runtime.hasImage(c.image);
  if (policy === "Never") {
    if (!present) throw new RuntimeError("ErrImageNeverPull", `Container image "${c.image}" is not present with pull policy of Never`);
    events?.present(c);
    return;
  }
  if (present && policy === "IfNotPresent") {
    events?.present(c);
    return;
  }
  events?.pulling(c);
  const began = performance.now();
  try {
    await runtime.pullImage(c.image);
    events?.pulled(c, performance.now() - began);
  } catch (e) {
    // An edge board without a registry keeps running what it has (Kubernetes would fail here).
    if (present) log(`pull of ${c.image} failed, using the local image: ${e instanceof Error ? e.message : String(e)}`);
    else throw e;
  }
}
