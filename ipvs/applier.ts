// The one interface both dataplanes implement, so the agent's service proxy
// does not care whether the kernel has IP_VS. Appliers do their effects
// through an injected CommandRunner (the agent passes its runCommand), which
// keeps this folder free of process plumbing and lets unit tests record argv.

import type { VirtualServer } from "./virtual-server.ts";

export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs argv (no shell), feeding `input` to stdin; rejects only when the program cannot be started. */
export type CommandRunner = (argv: string[], options?: { input?: string; timeoutMs?: number }) => Promise<CommandOutput>;

export type ProxyMode = "ipvs" | "nftables";

export interface DataplanePlan {
  /** From planVirtualServers: what this node should serve. */
  virtualServers: VirtualServer[];
  /** From planVips: the cluster/ingress IPs the node must treat as local. */
  vips: string[];
  /** The cluster's pod CIDR (10.42.0.0/16): connections from outside it are masqueraded. */
  clusterPodCidr: string;
}

export interface ApplyReport {
  /** What changed in the kernel this pass (0 when it already matched). */
  changes: number;
  /** Whether a later pass has work left (real servers drained now, deleted next time). */
  pending: boolean;
}

export interface ProxyApplier {
  readonly mode: ProxyMode;
  /** Makes the kernel match the plan. Safe to repeat; throws a one-line Error naming the failing command. */
  apply(plan: DataplanePlan): Promise<ApplyReport>;
  /** Removes everything this applier ever installed (tables, virtual servers, the dummy interface). */
  clear(): Promise<void>;
}
