// When each node was last heard from, in memory only: heartbeats must not
// wear out an SD card. Fed by Node status updates and, later, by the mesh.

export class NodeHeartbeats {
  private readonly seen = new Map<string, number>();

  beat(node: string, nowMs: number): void {
    this.seen.set(node, nowMs);
  }

  /** Undefined for a node never heard from since this server started. */
  lastSeen(node: string): number | undefined {
    return this.seen.get(node);
  }

  forget(node: string): void {
    this.seen.delete(node);
  }
}
