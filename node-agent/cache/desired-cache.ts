// The agent's memory of what this node should run, in LMDB on its own disk:
// with the server unreachable, and after the agent or the board restarts,
// the pods come back from here. Written only when the desired state changed
// (SD cards wear out), and synced before the write returns.

import { open, type RootDatabase } from "lmdb";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import type { KubeObject } from "../../core/resources/object.ts";
import type { DesiredState } from "../link/agent-link.ts";
import type { NodeRoute } from "../../core/mesh/messages.ts";

interface Stored {
  pods: KubeObject[];
  configMaps: [string, KubeObject][];
  secrets: [string, KubeObject][];
  /** What the service proxy, routes and DNS need offline (absent in caches of older agents). */
  services?: KubeObject[];
  endpoints?: KubeObject[];
  nodes?: NodeRoute[];
  savedAt: string;
}

/** An object without what changes on every write of it (resourceVersion, managedFields). */
function specOnly({ metadata: { resourceVersion: _rv, managedFields: _mf, ...metadata }, ...rest }: KubeObject): KubeObject {
  return { ...rest, metadata };
}

export class DesiredCache {
  private readonly db: RootDatabase<string, string>;
  private last: string | undefined;

  constructor(dataDir: string) {
    mkdirSync(join(dataDir, "cache"), { recursive: true });
    this.db = open<string, string>({ path: join(dataDir, "cache"), encoding: "string" });
  }

  load(): DesiredState | undefined {
    const text = this.db.get("desired");
    if (!text) return undefined;
    this.last = text.slice(0, text.indexOf(',"savedAt"'));
    const s = JSON.parse(text) as Stored;
    return {
      pods: s.pods,
      configMaps: new Map(s.configMaps),
      secrets: new Map(s.secrets),
      ...(s.services && s.endpoints ? { services: s.services, endpoints: s.endpoints, nodes: s.nodes ?? [] } : {}),
    };
  }

  /** Persists `state` when it differs from what is stored; resolves once it is on disk. */
  async save(state: DesiredState): Promise<boolean> {
    // Status and resourceVersion change with every report the agent sends; only the spec side matters here.
    const pods = state.pods.map(({ status: _status, ...rest }) => specOnly(rest as KubeObject));
    const services = state.services?.map(specOnly);
    const endpoints = state.endpoints?.map(specOnly);
    const body = JSON.stringify({ pods, configMaps: [...state.configMaps], secrets: [...state.secrets], services, endpoints, nodes: state.nodes });
    const key = body.slice(0, -1);
    if (key === this.last) return false;
    this.last = key;
    await this.db.put("desired", `${key},"savedAt":${JSON.stringify(new Date().toISOString())}}`);
    await this.db.flushed;
    return true;
  }

  /** The node's pod CIDR as the server last assigned it (pods are networked offline too). */
  podCidr(): string | undefined {
    return this.db.get("podCIDR");
  }

  async savePodCidr(cidr: string): Promise<void> {
    if (this.db.get("podCIDR") === cidr) return;
    await this.db.put("podCIDR", cidr);
    await this.db.flushed;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
