// A real `tug server` on the host for boot.test.ts, control plane only: it
// listens on loopback, which a qemu user-network guest reaches as 10.0.2.2,
// so its certificate also names 10.0.2.2.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const MAIN = join(import.meta.dir, "../../../cli/main.ts");
export const GUEST_HOST_IP = "10.0.2.2";

export interface HostServer {
  /** The URL a guest joins. */
  readonly guestUrl: string;
  /** A join token from `tug token create`. */
  readonly token: string;
  /** GET on the API as the admin. */
  get(path: string): Promise<any>;
  stop(): Promise<void>;
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve(probe()).catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(250);
  }
}

export async function startHostServer(dataDir: string, logFile: string): Promise<HostServer> {
  const proc = Bun.spawn(
    [process.execPath, MAIN, "server", "--data-dir", dataDir, "--bind", "127.0.0.1", "--port", "0", "--disable-agent", "--tls-san", GUEST_HOST_IP],
    { stdin: "ignore", stdout: Bun.file(logFile), stderr: Bun.file(`${logFile}.err`) },
  );
  const stop = async () => {
    proc.kill("SIGTERM");
    const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
    if (!done) proc.kill("SIGKILL");
    await proc.exited;
  };
  try {
    const kubeconfig = join(dataDir, "admin.kubeconfig");
    const kc = await until("the admin kubeconfig", () => (existsSync(kubeconfig) ? JSON.parse(readFileSync(kubeconfig, "utf8")) : undefined), 30_000);
    const url: string = kc.clusters[0].cluster.server;
    const ca = Buffer.from(kc.clusters[0].cluster["certificate-authority-data"], "base64").toString();
    const bearer: string = kc.users[0].user.token;
    const get = async (path: string) => {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${bearer}` }, tls: { ca }, signal: AbortSignal.timeout(10_000) });
      if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
      return res.json();
    };
    await until("the server's /readyz", async () => ((await fetch(`${url}/readyz`, { tls: { ca } })).status === 200 ? true : undefined), 30_000);
    const created = Bun.spawn([process.execPath, MAIN, "token", "create", "--kubeconfig", kubeconfig, "--ttl", "1h"], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(created.stdout).text(), new Response(created.stderr).text(), created.exited]);
    const token = /--token (\S+)/.exec(out)?.[1];
    if (code !== 0 || !token) throw new Error(`tug token create failed: ${err.trim()}`);
    const port = new URL(url).port;
    return { guestUrl: `https://${GUEST_HOST_IP}:${port}`, token, get, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
