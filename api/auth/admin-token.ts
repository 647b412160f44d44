// The admin token: one random bearer token in <data-dir>/admin.token (0600),
// created on the first start and read on every later one. Whoever holds it is
// user `admin` in `system:masters`, which RBAC lets do anything.

import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SYSTEM_AUTHENTICATED, SYSTEM_MASTERS, type UserInfo } from "../../core/auth/user.ts";

/** The admin token's user; a fresh object each time, so no caller can change another's. */
export function adminUser(): UserInfo {
  return { name: "admin", groups: [SYSTEM_MASTERS, SYSTEM_AUTHENTICATED] };
}

/** 32 random bytes as base64url, no padding: 43 characters. */
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, "admin.token");
}

/**
 * Returns the admin token, creating it once. The file is written under a
 * temporary name and hard-linked into place, which fails when the file exists,
 * so two processes starting together agree on one token and nobody ever
 * reads a half-written file. A file that holds something else is an error,
 * not silently replaced (that would lock out every kubeconfig in use).
 */
export function ensureAdminToken(dataDir: string): string {
  const path = adminTokenPath(dataDir);
  mkdirSync(dataDir, { recursive: true });
  const existing = readToken(path);
  if (existing !== undefined) return existing;
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  const token = readToken(path);
  if (token === undefined) throw new Error(`${path} vanished while it was being created`);
  return token;
}

function readToken(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  const token = text.trim();
  if (!TOKEN_RE.test(token)) throw new Error(`${path} does not hold an admin token (43 base64url characters); delete it to have a new one made`);
  return token;
}
