// kubectl 1.20 for the compatibility tests: Debian's `kubernetes-client`,
// downloaded with `apt-get download` and unpacked with `dpkg-deb -x` into a
// git-ignored cache (never installed: /usr/bin/kubectl may be another one).
// Each Kubectl runs with its own --cache-dir, so no stale discovery is read.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CACHE = join(import.meta.dir, ".cache");
const UNPACKED = join(CACHE, "kubernetes-client");
const BINARY = join(UNPACKED, "usr/bin/kubectl");
const PACKAGE = "kubernetes-client";

export interface KubectlResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

async function run(argv: string[], cwd?: string): Promise<KubectlResult> {
  const proc = Bun.spawn(argv, { cwd, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, exitCode };
}

/** Downloads and unpacks the package; returns why it could not, or undefined. */
async function fetchKubectl(): Promise<string | undefined> {
  if (!Bun.which("apt-get") || !Bun.which("dpkg-deb")) return "needs apt-get and dpkg-deb (Debian)";
  mkdirSync(CACHE, { recursive: true });
  let dl = await run(["apt-get", "download", PACKAGE], CACHE);
  // A fresh machine has no package lists yet.
  if (dl.exitCode !== 0) {
    await run(["apt-get", "update"]);
    dl = await run(["apt-get", "download", PACKAGE], CACHE);
  }
  const deb = readdirSync(CACHE).find((f) => f.startsWith(`${PACKAGE}_`) && f.endsWith(".deb"));
  if (dl.exitCode !== 0 || !deb) return `apt-get download ${PACKAGE} failed: ${dl.stderr.trim().split("\n").pop()}`;
  const x = await run(["dpkg-deb", "-x", join(CACHE, deb), UNPACKED]);
  if (x.exitCode !== 0) return `dpkg-deb -x ${deb} failed: ${x.stderr.trim()}`;
  return existsSync(BINARY) ? undefined : `${deb} has no usr/bin/kubectl`;
}

/**
 * The kubectl 1.20 binary, fetched on first use. When it cannot be had, the
 * reason (printed once) for the caller to skip; under CI=true that throws.
 */
export async function findKubectl(suite: string): Promise<{ path: string } | { skip: string }> {
  const why = existsSync(BINARY) ? undefined : await fetchKubectl();
  if (why === undefined) {
    const v = await run([BINARY, "version", "--client", "--short"]);
    if (v.exitCode === 0 && v.stdout.includes("v1.20")) return { path: BINARY };
  }
  const line = `${suite}: skipped, needs kubectl 1.20 (Debian's ${PACKAGE}): ${why ?? "the cached binary is not 1.20"}`;
  if (process.env.CI === "true") throw new Error(`${line} (CI=true: a skip is a failure)`);
  console.warn(line);
  return { skip: line };
}

export interface Kubectl {
  /** Runs kubectl with the server's kubeconfig; `input` goes to stdin, `env` adds variables (EDITOR). */
  run(args: string[], opts?: { input?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<KubectlResult>;
  /** Starts a long-running kubectl (get -w, logs -f); the caller kills it. */
  spawn(args: string[]): ReturnType<typeof Bun.spawn> & { stdout: ReadableStream<Uint8Array>; stderr: ReadableStream<Uint8Array> };
  cleanup(): void;
}

export function kubectl(binary: string, kubeconfig: string): Kubectl {
  const cacheDir = mkdtempSync(join(tmpdir(), "tug-kubectl-cache-"));
  const argv = (args: string[]) => [binary, "--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...args];
  // HOME too: kubectl writes ~/.kube/http-cache and edit's temp files otherwise.
  const baseEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cacheDir };
  return {
    async run(args, opts = {}) {
      const proc = Bun.spawn(argv(args), {
        stdin: opts.input === undefined ? "ignore" : new Blob([opts.input]),
        stdout: "pipe",
        stderr: "pipe",
        env: { ...baseEnv, ...opts.env },
      });
      const timer = setTimeout(() => proc.kill(), opts.timeoutMs ?? 30_000);
      try {
        const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
        return { stdout, stderr, exitCode };
      } finally {
        clearTimeout(timer);
      }
    },
    spawn(args) {
      return Bun.spawn(argv(args), { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: baseEnv }) as ReturnType<Kubectl["spawn"]>;
    },
    cleanup() {
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}
