// Which ConfigMaps and Secrets a set of pods needs: env valueFrom, envFrom and
// volumes. The mesh hub sends a node only these; the agent's links hand only
// these to the pod code.

import type { KubeObject } from "../resources/object.ts";
import type { Pod } from "../resources/pod.ts";

export function referencedObjects(pods: KubeObject[]): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const o of pods) {
    const pod = o as unknown as Pod;
    const ns = pod.metadata.namespace ?? "default";
    const add = (set: Set<string>, name: string | undefined) => name && set.add(`${ns}/${name}`);
    for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
      for (const e of c.env ?? []) {
        add(configMaps, e.valueFrom?.configMapKeyRef?.name);
        add(secrets, e.valueFrom?.secretKeyRef?.name);
      }
      for (const f of c.envFrom ?? []) {
        add(configMaps, f.configMapRef?.name);
        add(secrets, f.secretRef?.name);
      }
    }
    for (const v of pod.spec.volumes ?? []) {
      add(configMaps, v.configMap?.name);
      add(secrets, v.secret?.secretName);
    }
  }
  return { configMaps, secrets };
}
