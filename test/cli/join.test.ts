// Joining through a real server: `tug token create|list|delete` (the CLI as a
// process), `joinCluster` trading a bootstrap token for a node credential, and
// every way a join is refused: a name already taken (until the admin deletes
// the Node), a deleted or expired token, a CA that is not the pinned one
// (refused before the secret leaves), a malformed token; and `tug token`
// against a server that is gone.

import { afterAll, beforeAll, expect, spyOn, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { caHashOfPem } from "../../api/tls/certificates.ts";
import { formatJoinToken, parseJoinToken } from "../../core/auth/join-token.ts";
import { TugError } from "../../core/errors.ts";
import { joinCluster, readCredentials } from "../../cli/join.ts";
import { startTestServer, type TestServer } from "../api/harness.ts";
import { captureConsoleLog, eventually } from "../support.ts";

const MAIN = join(import.meta.dir, "../../cli/main.ts");

let server: TestServer;
let capture: ReturnType<typeof captureConsoleLog> | undefined;
let logged: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  capture = captureConsoleLog();
  logged = capture.lines;
  server = await startTestServer();
});

afterAll(async () => {
  await server?.cleanup();
  capture?.restore();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tug-join-"));
  dirs.push(d);
  return d;
}

/** Runs the tug CLI as a process (asynchronously: the server answers from this one). */
async function tug(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, MAIN, ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** The error a promise rejects with (a TugError expected). */
async function refusal(p: Promise<unknown>): Promise<TugError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TugError) return e;
    throw e;
  }
  throw new Error("expected the join to be refused");
}

/** A join token for a bootstrap token made directly in the store. */
async function directToken(ttlSeconds?: number): Promise<string> {
  const t = await server.tokens.createBootstrapToken({ ttlSeconds, now: Date.now() });
  return formatJoinToken({ caHash: caHashOfPem(server.caPem), id: t.id, secret: t.secret });
}

let firstToken: string;
let firstCredential: string;

test("tug token create prints the join line; tug token list shows the id", async () => {
  const created = await tug("token", "create", "--kubeconfig", server.kubeconfig, "--description", "for board-1");
  expect(created.stderr).toBe("");
  expect(created.code).toBe(0);
  const line = created.stdout.trim();
  expect(line).toMatch(/^tug join https:\/\/127\.0\.0\.1:\d+ --token TUG10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{16}$/);
  expect(line.split(" ")[2]).toBe(server.url);
  firstToken = line.split(" --token ")[1]!;
  const { id, caHash } = parseJoinToken(firstToken);
  expect(caHash).toBe(caHashOfPem(server.caPem));

  const listed = await tug("token", "list", "--kubeconfig", server.kubeconfig);
  expect(listed.code).toBe(0);
  const row = listed.stdout.split("\n").find((l) => l.startsWith(`${id} `));
  expect(row).toBeDefined();
  expect(row).toContain("for board-1");
  expect(row).toMatch(/\d{4}-\d{2}-\d{2}T/); // expires (24 h by default)
}, 15_000);

test("joinCluster trades the token for a node credential in credentials.json (0600)", async () => {
  const dataDir = tempDir();
  const creds = await joinCluster({ server: server.url, joinToken: firstToken, nodeName: "board-1", dataDir });
  expect(creds.nodeName).toBe("board-1");
  expect(creds.caPem).toBe(server.caPem);
  expect(creds.token).toMatch(/^tugnode\.[0-9a-f]{12}\.[A-Za-z0-9_-]{43}$/);
  expect(readCredentials(dataDir)).toEqual(creds);
  expect(statSync(join(dataDir, "credentials.json")).mode & 0o777).toBe(0o600);
  firstCredential = creds.token;

  // The credential is the node's: it registers its own Node.
  const res = await fetch(`${server.url}/api/v1/nodes`, {
    method: "POST",
    headers: { authorization: `Bearer ${creds.token}`, "content-type": "application/json" },
    body: JSON.stringify({ metadata: { name: "board-1" } }),
    tls: { ca: creds.caPem },
  });
  expect(res.status).toBe(201);
});

test("a second board may not take a name that has a credential", async () => {
  const e = await refusal(joinCluster({ server: server.url, joinToken: await directToken(), nodeName: "board-1", dataDir: tempDir() }));
  expect(e.code).toBe("Conflict");
  expect(e.message).toContain("already has a credential");
});

test("after the admin deletes the Node, a new board may take the name and the old credential stops working", async () => {
  expect((await server.call("DELETE", "/api/v1/nodes/board-1")).status).toBe(200);
  const joinToken = await directToken();
  const dataDir = tempDir();
  // The credential is revoked when the informer sees the delete: shortly after the response.
  const outcome = await eventually(
    () => joinCluster({ server: server.url, joinToken, nodeName: "board-1", dataDir }).then((c) => c.token, (e: Error) => e.message),
    (v) => v.startsWith("tugnode."),
    5_000,
  );
  expect(outcome).toStartWith("tugnode.");
  expect(outcome).not.toBe(firstCredential);
  const old = await fetch(`${server.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${firstCredential}` }, tls: { ca: server.caPem } });
  expect(old.status).toBe(401);
});

test("a deleted token is refused", async () => {
  const { id } = parseJoinToken(firstToken);
  const deleted = await tug("token", "delete", id, "--kubeconfig", server.kubeconfig);
  expect(deleted.code).toBe(0);
  expect(deleted.stdout.trim()).toBe(`bootstrap token ${id} deleted`);
  expect((await tug("token", "list", "--kubeconfig", server.kubeconfig)).stdout).not.toContain(`${id} `);

  const e = await refusal(joinCluster({ server: server.url, joinToken: firstToken, nodeName: "board-2", dataDir: tempDir() }));
  expect(e.code).toBe("Unauthorized");
  expect(e.message).toBe("join refused: the token is unknown, expired or deleted");
}, 15_000);

test("an expired token is refused", async () => {
  const joinToken = await directToken(1);
  await Bun.sleep(1100);
  const dataDir = tempDir();
  const e = await refusal(joinCluster({ server: server.url, joinToken, nodeName: "board-3", dataDir }));
  expect(e.code).toBe("Unauthorized");
  expect(e.message).toContain("unknown, expired or deleted");
  expect(readCredentials(dataDir)).toBeUndefined();
});

test("a CA that does not match the token's hash is refused before the secret is sent", async () => {
  const { id } = parseJoinToken(await directToken());
  // The right id, a wrong secret: had it been sent, the server would log a failure for this id.
  const wrongSecret = "zzzzzzzzzzzzzzzz";
  const joinToken = formatJoinToken({ caHash: "0".repeat(64), id, secret: wrongSecret });
  const sent: { url: string; authorization: string | null }[] = [];
  const realFetch = globalThis.fetch;
  const fetchSpy = spyOn(globalThis, "fetch").mockImplementation(((input: string | URL | Request, init?: RequestInit) => {
    sent.push({ url: String(input instanceof Request ? input.url : input), authorization: new Headers(init?.headers).get("authorization") });
    return realFetch(input, init);
  }) as typeof fetch);
  let e: TugError;
  try {
    e = await refusal(joinCluster({ server: server.url, joinToken, nodeName: "board-4", dataDir: tempDir() }));
  } finally {
    fetchSpy.mockRestore();
  }
  expect(e.code).toBe("Forbidden");
  expect(e.message).toContain("does not match the token");
  expect(e.message).toContain("refusing to send the token");
  expect(e.message).not.toContain(wrongSecret);
  expect(sent.map((s) => s.url)).toEqual([`${server.url}/mesh/v1/ca`]);
  expect(sent.every((s) => s.authorization === null)).toBe(true);
  expect(logged.filter((l) => l.includes(`bootstrap token ${id}`))).toEqual([]);
  expect((await server.call("GET", "/api/v1/namespaces/kube-system/secrets/node-credential-board-4")).status).toBe(404);
});

test("tug join with a malformed token: one line, non-zero exit, no secret echoed", async () => {
  const dataDir = tempDir();
  const secret = "SECRETPART123456";
  const r = await tug("join", server.url, "--token", `TUG10${"a".repeat(64)}::abcdef.${secret}`, "--node-name", "board-5", "--data-dir", dataDir);
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe("");
  expect(r.stderr.trim().split("\n")).toEqual(["error: join token: the secret must be 16 characters of [a-z0-9]"]);
  const garbage = await tug("join", server.url, "--token", "hello", "--data-dir", dataDir);
  expect(garbage.code).not.toBe(0);
  expect(garbage.stderr.trim().split("\n")).toEqual(['error: join token: must start with "TUG10" (a token made by "tug token create")']);
  expect(readCredentials(dataDir)).toBeUndefined();
}, 15_000);

// Last: stops the server.
test("tug token against a stopped server: one line naming the URL, non-zero exit", async () => {
  await server.stop();
  const r = await tug("token", "list", "--kubeconfig", server.kubeconfig);
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toStartWith(`error: cannot reach the server at ${server.url}`);
}, 15_000);
