// A pod's ServiceAccount token volume, as the kubelet projects it: `token`,
// `ca.crt` and `namespace` under <pod dir>/volumes/serviceaccount (written
// with the configMap volumes' atomic `..data` swap), mounted read-only at
// /var/run/secrets/kubernetes.io/serviceaccount. The token comes from the
// server over the link, in the background so a slow or absent server never
// holds up the agent's sync loop, and is fetched again once 80% of its
// lifetime has passed. Offline, the token already on disk stays.

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ServiceAccountToken } from "../link/agent-link.ts";
import type { Mount } from "../runtime/runtime.ts";
import { writeAtomically } from "./volumes.ts";

export const SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

export type TokenSource = (namespace: string, pod: string) => Promise<ServiceAccountToken>;

export interface ServiceAccountVolumeOptions {
  /** The pod's folder; the volume lives in its volumes/serviceaccount. */
  podDir: string;
  namespace: string;
  pod: string;
  request: TokenSource;
  now: () => number;
  /** Told when a first token is on disk (the pod can start now). */
  onReady: () => void;
  log: (line: string) => void;
}

/** Retries after a failed fetch: from RETRY_MIN_MS doubling to RETRY_MAX_MS. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** At least this long between refreshes, whatever the clocks of server and node say. */
const MIN_REFRESH_MS = 60_000;

export class ServiceAccountVolume {
  readonly dir: string;
  private fetching = false;
  /** When to fetch next: 0 = now. */
  private dueAt = 0;
  private failures = 0;
  private lastError: string | undefined;
  private closed = false;

  constructor(private readonly opts: ServiceAccountVolumeOptions) {
    this.dir = join(opts.podDir, "volumes", "serviceaccount");
  }

  /** The read-only mount every container gets (unless it mounts something at the same path). */
  mount(): Mount {
    return { hostPath: this.dir, containerPath: SERVICE_ACCOUNT_MOUNT, readOnly: true };
  }

  /**
   * Called on every sync: starts a fetch when one is due. Returns undefined
   * once a token is on disk (also one an earlier agent run wrote), else why
   * the pod must still wait.
   */
  check(): string | undefined {
    if (!this.closed && !this.fetching && this.opts.now() >= this.dueAt) this.fetch();
    if (this.hasToken()) return undefined;
    return `waiting for a ServiceAccount token${this.lastError ? `: ${this.lastError}` : ""}`;
  }

  /** No more fetches or writes (the pod is going; its folder is about to be removed). */
  close(): void {
    this.closed = true;
  }

  private hasToken(): boolean {
    return existsSync(join(this.dir, "token"));
  }

  private fetch(): void {
    this.fetching = true;
    const hadToken = this.hasToken();
    const asked = this.opts.now();
    this.opts
      .request(this.opts.namespace, this.opts.pod)
      .then(
        (t) => {
          if (this.closed) return;
          writeAtomically(
            this.dir,
            new Map([
              ["token", { content: t.token, mode: 0o644 }],
              ["ca.crt", { content: t.caPem, mode: 0o644 }],
              ["namespace", { content: this.opts.namespace, mode: 0o644 }],
            ]),
          );
          // 80% of the lifetime as seen from here; the floor keeps skewed clocks from a fetch loop.
          const lifetime = (Date.parse(t.expirationTimestamp) || asked) - asked;
          this.dueAt = asked + Math.max(MIN_REFRESH_MS, 0.8 * lifetime);
          if (this.failures > 0 && hadToken) this.opts.log(`pod ${this.opts.namespace}/${this.opts.pod}: ServiceAccount token refreshed again`);
          this.failures = 0;
          this.lastError = undefined;
          if (!hadToken) this.opts.onReady();
        },
        (e: unknown) => {
          if (this.closed) return;
          this.lastError = e instanceof Error ? e.message : String(e);
          // A pod already holding a token keeps running on it; one line per outage.
          if (this.failures === 0 && hadToken) this.opts.log(`pod ${this.opts.namespace}/${this.opts.pod}: refreshing its ServiceAccount token: ${this.lastError}; keeping the current one`);
          this.dueAt = this.opts.now() + Math.min(RETRY_MIN_MS * 2 ** this.failures, RETRY_MAX_MS);
          this.failures++;
        },
      )
      .catch((e: unknown) => {
        // Writing the files failed (disk full, permissions): retry like a failed fetch.
        this.lastError = `writing the token: ${e instanceof Error ? e.message : String(e)}`;
        this.opts.log(`pod ${this.opts.namespace}/${this.opts.pod}: ${this.lastError}`);
        this.dueAt = this.opts.now() + RETRY_MAX_MS;
      })
      .finally(() => {
        this.fetching = false;
      });
  }
}

/**
 * KUBERNETES_SERVICE_HOST / _PORT for pods: the API server's own address
 * (the `kubernetes` Service and its ClusterIP come with the Services issue;
 * until then pods talk to the server directly). A loopback server URL (the
 * embedded agent of `tug server`) would point a pod at itself, so the node's
 * address stands in for it: the server listens on all addresses by default
 * and its certificate names every local address.
 */
export function apiServerEnv(serverUrl: string | undefined, hostIP: string): { name: string; value: string }[] {
  if (!serverUrl) return [];
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    return [];
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const loopback = host === "localhost" || host === "::1" || /^127\./.test(host);
  const port = url.port || (url.protocol === "http:" ? "80" : "443");
  return [
    { name: "KUBERNETES_SERVICE_HOST", value: loopback && hostIP ? hostIP : host },
    { name: "KUBERNETES_SERVICE_PORT", value: port },
  ];
}
