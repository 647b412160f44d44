// Kubernetes' ControllerExpectations, small: what a ReplicaSet's own creates
// and deletes should still show up in the informer. While some are in flight
// the controller does not create or delete again (it would count pods twice),
// and after EXPECTATIONS_TIMEOUT_MS it stops waiting (a lost event must not
// wedge the ReplicaSet). Keyed by the ReplicaSet's uid.

import type { Clock } from "../../clock.ts";

export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Pending {
  creates: number;
  /** Pod uids still expected to go. */
  deletes: Set<string>;
  since: number;
}

export class Expectations {
  private readonly records = new Map<string, Pending>();

  constructor(private readonly clock: Clock) {}

  /**
   * Whether the owner may act again. `stillThere(podUid)` tells whether a pod
   * expected to go is still in the cache (deletions are also checked against
   * it, so a missed event cannot block).
   */
  satisfied(owner: string, stillThere: (podUid: string) => boolean): boolean {
    const r = this.records.get(owner);
    if (!r) return true;
    for (const uid of r.deletes) if (!stillThere(uid)) r.deletes.delete(uid);
    if ((r.creates <= 0 && r.deletes.size === 0) || this.clock.now() - r.since > EXPECTATIONS_TIMEOUT_MS) {
      this.records.delete(owner);
      return true;
    }
    return false;
  }

  /** Replaces the owner's expectations (call only when satisfied, before issuing the writes). */
  expect(owner: string, creates: number, deletes: readonly string[] = []): void {
    this.records.set(owner, { creates, deletes: new Set(deletes), since: this.clock.now() });
  }

  /** A pod the owner controls appeared, or a planned create failed or was skipped. */
  creationObserved(owner: string, n = 1): void {
    const r = this.records.get(owner);
    if (r) r.creates -= n;
  }

  /** A pod the owner controls is gone or going, or its delete failed. */
  deletionObserved(owner: string, podUid: string): void {
    this.records.get(owner)?.deletes.delete(podUid);
  }

  forget(owner: string): void {
    this.records.delete(owner);
  }
}
