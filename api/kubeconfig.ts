// <data-dir>/admin.kubeconfig: what kubectl, client libraries and the tug
// CLI use to reach this server: its URL, the CA that signed its certificate
// and the admin token. Rewritten on every start (the port may move).
// Written as JSON, which is YAML too: kubectl reads it, and the server need
// not load a YAML library at start (it costs idle memory on a small board).

import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface KubeconfigCredentials {
  /** PEM of the CA that signed the serving certificate (https only). */
  caPem?: string;
  token?: string;
}

export function adminKubeconfig(serverUrl: string, creds: KubeconfigCredentials = {}): string {
  const cluster: Record<string, unknown> = { server: serverUrl };
  if (creds.caPem) cluster["certificate-authority-data"] = Buffer.from(creds.caPem).toString("base64");
  else if (serverUrl.startsWith("https://")) cluster["insecure-skip-tls-verify"] = true;
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "tug", cluster }],
    contexts: [{ name: "tug", context: { cluster: "tug", user: "admin", namespace: "default" } }],
    "current-context": "tug",
    users: [{ name: "admin", user: creds.token ? { token: creds.token } : {} }],
    preferences: {},
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Writes the file atomically with mode 0600 (it holds the admin token). */
export function writeAdminKubeconfig(dataDir: string, serverUrl: string, creds: KubeconfigCredentials = {}): string {
  const path = join(dataDir, "admin.kubeconfig");
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, adminKubeconfig(serverUrl, creds), { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}
