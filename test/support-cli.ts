// A real `tug server` process for tests: started on a free port, reached over
// TLS with the CA and admin token it wrote into its data dir.

import { readFileSync } from "node:fs";
import { join } from "node:path";

const MAIN = join(import.meta.dir, "../cli/main.ts");

export interface ServerProcess {
  proc: ReturnType<typeof Bun.spawn>;
  url: string;
  /** fetch as the admin; `path` is relative to the URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

export async function spawnServer(dataDir: string, extra: string[] = ["--disable-agent"]): Promise<ServerProcess> {
  const proc = Bun.spawn([process.execPath, MAIN, "server", "--data-dir", dataDir, "--bind", "127.0.0.1", "--port", "0", ...extra], { stdout: "pipe", stderr: "inherit" });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let out = "";
  const deadline = Date.now() + 15_000;
  while (!/listening on [\d.]+:(\d+)/.test(out)) {
    if (Date.now() > deadline) throw new Error(`server did not start: ${out}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${out}`);
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const url = `https://127.0.0.1:${/listening on [\d.]+:(\d+)/.exec(out)![1]}`;
  const token = readFileSync(join(dataDir, "admin.token"), "utf8").trim();
  const ca = readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
  return {
    proc,
    url,
    fetch: (path, init = {}) => fetch(url + path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) }, tls: { ca } }),
  };
}
