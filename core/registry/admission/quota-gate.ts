// Creates in a namespace with ResourceQuotas pass through here: the check and
// the write happen one at a time per namespace, so two creates cannot both
// take the last free unit of a quota.

import type { KubeObject } from "../../resources/object.ts";
import type { ResourceQuota } from "../../resources/policy.ts";
import { checkQuotas, kindsCounted } from "./resource-quota.ts";

export class QuotaGate {
  private readonly locks = new Map<string, Promise<unknown>>();

  /** `list` reads a namespace's objects of one kind; `create` writes. */
  constructor(
    private readonly list: (kind: string, namespace: string) => Promise<KubeObject[]>,
    private readonly write: (obj: KubeObject) => Promise<KubeObject>,
  ) {}

  /** Creates `obj` in `namespace`, or throws Forbidden if a quota would be exceeded. */
  async create(namespace: string, obj: KubeObject): Promise<KubeObject> {
    const quotas = (await this.list("ResourceQuota", namespace)) as ResourceQuota[];
    if (!quotas.length) return this.write(obj);
    return this.serialized(namespace, async () => {
      checkQuotas(obj, quotas, await this.objectsCounted(namespace, quotas));
      return this.write(obj);
    });
  }

  /** The namespace's objects of every kind the quotas count. */
  private async objectsCounted(namespace: string, quotas: readonly ResourceQuota[]): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    for (const k of kindsCounted(quotas)) out.push(...(await this.list(k, namespace)));
    return out;
  }

  private async serialized<T>(namespace: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(namespace) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(namespace, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(namespace) === tail) this.locks.delete(namespace);
    }
  }
}
