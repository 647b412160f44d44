// What exists from the first start: the `default` and `kube-system` namespaces.

import { TugError } from "../core/errors.ts";
import type { Registry } from "../core/registry/registry.ts";

export const SYSTEM_NAMESPACES = ["default", "kube-system"] as const;

export async function ensureSystemNamespaces(registry: Registry): Promise<void> {
  for (const name of SYSTEM_NAMESPACES) {
    if (await registry.store.get({ kind: "Namespace", namespace: "", name })) continue;
    try {
      await registry.create("Namespace", "", { metadata: { name } });
    } catch (e) {
      if (!(e instanceof TugError && e.code === "AlreadyExists")) throw e;
    }
  }
}
