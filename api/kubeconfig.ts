// <data-dir>/admin.kubeconfig: what kubectl, client libraries and the tug
// CLI use to reach this server. Rewritten on every start (the port may move).
// Written as JSON, which is YAML too: kubectl reads it, and the server need
// not load a YAML library at start (it costs idle memory on a small board).

import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export function adminKubeconfig(serverUrl: string): string {
  const insecure = serverUrl.startsWith("http://");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "tug", cluster: { server: serverUrl, ...(insecure ? { "insecure-skip-tls-verify": true } : {}) } }],
    contexts: [{ name: "tug", context: { cluster: "tug", user: "admin", namespace: "default" } }],
    "current-context": "tug",
    users: [{ name: "admin", user: {} }],
    preferences: {},
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Writes the file atomically with mode 0600 (it will hold credentials). */
export function writeAdminKubeconfig(dataDir: string, serverUrl: string): string {
  const path = join(dataDir, "admin.kubeconfig");
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, adminKubeconfig(serverUrl), { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}
