// Per DaemonSet and node, how long to leave a failed daemon pod alone before
// deleting it again (Kubernetes' failedPodsBackoff: 1s doubling to 15min), so
// a node that keeps rejecting the pod does not make the controller hot-loop.
// In memory: after a restart every node starts afresh, as in Kubernetes.

interface Entry {
  delayMs: number;
  lastMs: number;
}

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
}

export class FailedPodBackoff {
  private readonly entries = new Map<string, Map<string, Entry>>();
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 1000;
    this.maxMs = opts.maxMs ?? 15 * 60_000;
  }

  /** For each node of `owner` in back-off: until when (ms). Entries idle for twice the maximum are dropped. */
  until(owner: string, now: number): Map<string, number> {
    const out = new Map<string, number>();
    const nodes = this.entries.get(owner);
    if (!nodes) return out;
    for (const [node, e] of nodes) {
      if (now - e.lastMs > 2 * this.maxMs) nodes.delete(node);
      else out.set(node, e.lastMs + e.delayMs);
    }
    if (nodes.size === 0) this.entries.delete(owner);
    return out;
  }

  /** Records that a failed pod of `owner` on `node` was deleted at `now`. */
  next(owner: string, node: string, now: number): void {
    let nodes = this.entries.get(owner);
    if (!nodes) this.entries.set(owner, (nodes = new Map()));
    const e = nodes.get(node);
    const fresh = !e || now - e.lastMs > 2 * this.maxMs;
    nodes.set(node, { delayMs: fresh ? this.initialMs : Math.min(e.delayMs * 2, this.maxMs), lastMs: now });
  }

  forget(owner: string): void {
    this.entries.delete(owner);
  }
}
