// Runs the real `tug` CLI (process.execPath + cli/main.ts, async spawn) against
// a test server's admin kubeconfig, and collects its exit code and output.

import { join } from "node:path";

const MAIN = join(import.meta.dir, "../../cli/main.ts");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function tug(kubeconfig: string, args: string[], opts: { stdin?: string; cwd?: string } = {}): Promise<CliResult> {
  const proc = Bun.spawn([process.execPath, MAIN, ...args, "--kubeconfig", kubeconfig], {
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** A long-running CLI (get -w): its output so far, and a way to stop it. */
export function tugStreaming(kubeconfig: string, args: string[]) {
  const proc = Bun.spawn([process.execPath, MAIN, ...args, "--kubeconfig", kubeconfig], { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  const decoder = new TextDecoder();
  const pump = (async () => {
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) out += decoder.decode(chunk, { stream: true });
  })();
  return {
    proc,
    get output() {
      return out;
    },
    async waitFor(re: RegExp, timeoutMs = 10_000): Promise<string> {
      const end = Date.now() + timeoutMs;
      while (!re.test(out)) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${re} in:\n${out}`);
        await Bun.sleep(25);
      }
      return out;
    },
    async stop() {
      proc.kill();
      await proc.exited;
      await pump.catch(() => {});
    },
  };
}
