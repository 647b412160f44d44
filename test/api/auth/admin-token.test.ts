import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminTokenPath, adminUser, ensureAdminToken } from "../../../api/auth/admin-token.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tug-admin-token-"));
  dirs.push(d);
  return d;
}

test("the admin token is created once with mode 0600 and read back later", () => {
  const dir = join(tempDir(), "data"); // not there yet: created
  const first = ensureAdminToken(dir);
  expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(Buffer.from(first, "base64url").length).toBe(32);
  expect(statSync(adminTokenPath(dir)).mode & 0o777).toBe(0o600);
  expect(readFileSync(adminTokenPath(dir), "utf8").trim()).toBe(first);
  expect(ensureAdminToken(dir)).toBe(first);
  expect(ensureAdminToken(tempDir())).not.toBe(first);
});

test("a file that holds no token is an error, not silently replaced", () => {
  const dir = tempDir();
  writeFileSync(adminTokenPath(dir), "");
  expect(() => ensureAdminToken(dir)).toThrow(/does not hold an admin token/);
  expect(readFileSync(adminTokenPath(dir), "utf8")).toBe("");
});

test("the admin is in system:masters and system:authenticated", () => {
  expect(adminUser()).toEqual({ name: "admin", groups: ["system:masters", "system:authenticated"] });
  adminUser().groups.push("x");
  expect(adminUser().groups).toHaveLength(2);
});
