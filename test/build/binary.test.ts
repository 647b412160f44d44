// The compiled binaries run from one file: `tug version`, and a `tug server`
// that answers over TLS and writes to LMDB through the lmdb addon embedded for
// its own architecture (read back after a restart when native). The arm64
// binary runs under qemu-aarch64 user emulation.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missing } from "../node-agent/requirements.ts";
import { TUG_VERSION } from "../../cli/version.ts";
import { binaryPath, ensureBinaries, NEED_QEMU_USER, ROOT, runner } from "./binaries.ts";

interface RunningServer {
  proc: ReturnType<typeof Bun.spawn>;
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

const started: RunningServer[] = [];
const dirs: string[] = [];

async function startServer(argv: string[], dataDir: string): Promise<RunningServer> {
  const proc = Bun.spawn([...argv, "server", "--disable-agent", "--data-dir", dataDir, "--bind", "127.0.0.1", "--port", "0"], { cwd: dataDir, stdout: "pipe", stderr: "pipe" });
  const server: RunningServer = { proc, fetch: () => Promise.reject(new Error("not started")) };
  started.push(server);
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let out = "";
  // Emulated arm64 starts in seconds, not milliseconds.
  const deadline = Date.now() + 150_000;
  while (!/listening on [\d.]+:(\d+)/.test(out)) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${out}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${out}${await new Response(proc.stderr as ReadableStream).text()}`);
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const url = `https://127.0.0.1:${/listening on [\d.]+:(\d+)/.exec(out)![1]}`;
  const token = readFileSync(join(dataDir, "admin.token"), "utf8").trim();
  const ca = readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
  server.fetch = (path, init = {}) => fetch(url + path, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string>) }, tls: { ca } });
  return server;
}

async function stopServer(s: RunningServer): Promise<number> {
  s.proc.kill("SIGTERM");
  return s.proc.exited;
}

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, out: out + err };
}

afterAll(async () => {
  for (const s of started) if (s.proc.exitCode === null) {
    s.proc.kill("SIGKILL");
    await s.proc.exited;
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const skipX64 = process.arch !== "x64" ? "binary x64: skipped, the host is not x64" : undefined;
if (skipX64) console.warn(skipX64);
const skipArm64 = process.arch === "arm64" ? undefined : missing([NEED_QEMU_USER], "binary arm64");

beforeAll(async () => {
  if (!skipX64 || !skipArm64) await ensureBinaries();
}, 180_000);

for (const arch of ["x64", "arm64"] as const) {
  const skip = arch === "x64" ? skipX64 : skipArm64;
  describe.skipIf(!!skip)(`dist/tug-linux-${arch}`, () => {
    test("is at most 5 MB larger than the Bun runtime it carries", () => {
      // tug's bundled code, the dashboard and the stripped lmdb addon ride on the runtime
      // (the x64 and arm64 runtimes differ by a few KB).
      const runtime = statSync(realpathSync(join(ROOT, "node_modules/.bin/bun"))).size;
      const size = statSync(binaryPath(arch)).size;
      console.log(`dist/tug-linux-${arch}: ${size} bytes, Bun runtime ${runtime} bytes (+${((size - runtime) / 1e6).toFixed(2)} MB)`);
      expect(size - runtime).toBeLessThan(5_000_000);
    });

    test("prints its version", async () => {
      const r = await run([...runner(arch), "version"]);
      expect(r).toEqual({ code: 0, out: `tug ${TUG_VERSION}\n` });
    }, 120_000);

    test("carries the firmware scripts: tug flash --help", async () => {
      const r = await run([...runner(arch), "flash", "--help"]);
      expect(r.code).toBe(0);
      expect(r.out).toContain("--image FILE|/dev/sdX --server https://SERVER:6443");
    }, 60_000);

    test("runs a server that answers over TLS and writes through its own lmdb addon", async () => {
      const dataDir = mkdtempSync(join(tmpdir(), `tug-bin-${arch}-`));
      dirs.push(dataDir);
      const marker = `kept-by-${arch}-${process.pid}-${Date.now()}`;
      const first = await startServer(runner(arch), dataDir);
      const version = await first.fetch("/version");
      expect(version.status).toBe(200);
      expect(((await version.json()) as { gitVersion: string }).gitVersion).toContain(TUG_VERSION.replace(/^v/, "").split("-")[0]!);
      const created = await first.fetch("/api/v1/namespaces/default/configmaps", {
        method: "POST",
        body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kept" }, data: { marker } }),
      });
      expect(created.status).toBe(201);
      expect(await stopServer(first)).toBe(0);
      // The write reached the LMDB file on disk (ConfigMaps are stored unencrypted).
      expect(readFileSync(join(dataDir, "db", "data.mdb")).includes(marker)).toBe(true);

      // A native restart reads it back (under emulation one start is enough: each costs ~20 s).
      if (arch !== process.arch) return;
      const second = await startServer(runner(arch), dataDir);
      const got = await second.fetch("/api/v1/namespaces/default/configmaps/kept");
      expect(got.status).toBe(200);
      expect(((await got.json()) as { data: Record<string, string> }).data).toEqual({ marker });
      expect(await stopServer(second)).toBe(0);
    }, 300_000);
  });
}
