// What every resource verb shares: the connection flags (--kubeconfig,
// --data-dir, -n/--namespace) and the client built from them.

import { TugError } from "../core/errors.ts";
import { clientFrom, type ApiClient } from "./api-client.ts";
import { defaultDataDir } from "./data-dir.ts";

export const CONNECTION_OPTIONS = {
  kubeconfig: { type: "string" },
  "data-dir": { type: "string" },
  namespace: { type: "string", short: "n" },
  help: { type: "boolean", short: "h" },
} as const;

export const CONNECTION_HELP = `  -n, --namespace NS  the namespace (default: default)
  --kubeconfig FILE   the server and credential (default: $KUBECONFIG, <data-dir>/admin.kubeconfig, ~/.kube/config)
  --data-dir DIR      the server's data dir, to find admin.kubeconfig`;

export interface ConnectionFlags {
  kubeconfig?: string;
  "data-dir"?: string;
  namespace?: string;
}

export function connect(values: ConnectionFlags): Promise<ApiClient> {
  return clientFrom({ kubeconfig: values.kubeconfig, dataDir: values["data-dir"] ?? defaultDataDir() });
}

export function namespaceOf(values: ConnectionFlags): string {
  return values.namespace || "default";
}

/** `--flag=false` for booleans (node's parseArgs only knows --no-flag when allowNegative is set). */
export function normalizeBooleanFlags(args: string[], flags: readonly string[]): string[] {
  return args.flatMap((a) => {
    for (const f of flags) {
      if (a === `--${f}=true`) return [`--${f}`];
      if (a === `--${f}=false`) return [`--no-${f}`];
    }
    return [a];
  });
}

/** --timeout 30s|5m|1h -> a deadline in ms since the epoch; absent or 0 waits forever (as kubectl). */
export function deadlineOf(timeout: string | undefined, nowMs = Date.now()): number {
  if (timeout === undefined) return Infinity;
  const m = /^(\d+)(ms|s|m|h)?$/.exec(timeout.trim());
  if (!m) throw new TugError("BadRequest", `--timeout: not a duration like 30s, 5m or 1h: "${timeout}"`);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return ms === 0 ? Infinity : nowMs + ms;
}
