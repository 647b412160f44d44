// `tug join URL --token TUG10…` (same as `tug agent --server URL --token TUG10…`):
// pins the server's CA against the token's hash before sending anything
// secret, trades the bootstrap token for this node's own credential, keeps
// it in <data-dir>/credentials.json, and runs the agent with it. Later starts
// (`tug agent --data-dir D`) use the stored credential.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TugError } from "../core/errors.ts";
import { JOIN_PATHS, parseJoinToken } from "../core/auth/join-token.ts";
import { fetchPinnedCa } from "../node-agent/link/ca-pin.ts";

export interface Credentials {
  servers: string[];
  caPem: string;
  token: string;
  nodeName: string;
}

export const credentialsPath = (dataDir: string) => join(dataDir, "credentials.json");

export function readCredentials(dataDir: string): Credentials | undefined {
  const path = credentialsPath(dataDir);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Credentials;
  } catch (e) {
    throw new TugError("BadRequest", `${path}: unreadable credentials (${e instanceof Error ? e.message : String(e)}); join again`);
  }
}

function writeCredentials(dataDir: string, creds: Credentials): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = credentialsPath(dataDir);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** Runs the join handshake; returns the stored credentials. */
export async function joinCluster(opts: { server: string; joinToken: string; nodeName: string; dataDir: string }): Promise<Credentials> {
  const token = parseJoinToken(opts.joinToken);
  if (!opts.server.startsWith("https://")) throw new TugError("BadRequest", `${opts.server}: joining needs the server's https:// URL`);
  let caPem: string;
  try {
    caPem = await fetchPinnedCa(opts.server, token.caHash);
  } catch (e) {
    throw new TugError("Forbidden", e instanceof Error ? e.message : String(e));
  }
  let res: Response;
  try {
    res = await fetch(`${opts.server}${JOIN_PATHS.join}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token.id}.${token.secret}`, "content-type": "application/json" },
      body: JSON.stringify({ nodeName: opts.nodeName }),
      tls: { ca: caPem },
    });
  } catch (e) {
    throw new TugError("ServiceUnavailable", `cannot reach the server at ${opts.server}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const body = (await res.json().catch(() => ({}))) as { token?: string; message?: string };
  if (!res.ok || !body.token) {
    const reason = res.status === 401 ? "the token is unknown, expired or deleted" : (body.message ?? `HTTP ${res.status}`);
    throw new TugError(res.status === 409 ? "Conflict" : res.status === 401 ? "Unauthorized" : "BadRequest", `join refused: ${reason}`);
  }
  const creds: Credentials = { servers: [opts.server], caPem, token: body.token, nodeName: opts.nodeName };
  writeCredentials(opts.dataDir, creds);
  return creds;
}
