// runProbe against real things on this host: Bun HTTP(S) servers on port 0,
// a listening and a closed TCP port, and commands run with `sh -c`.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runChecked } from "../../../node-agent/exec/command.ts";
import type { ProbeTarget } from "../../../node-agent/probes/probe-runner.ts";
import { containerPortResolver, runProbe } from "../../../node-agent/probes/probe-runner.ts";
import type { Need } from "../requirements.ts";
import { missing } from "../requirements.ts";
import { hostExec } from "./host-exec.ts";

const NEED_OPENSSL: Need = { what: "openssl", present: () => !!Bun.which("openssl"), install: "apt-get install openssl" };

function handler(req: Request): Response | Promise<Response> {
  const url = new URL(req.url);
  switch (url.pathname) {
    case "/ok":
      return new Response(`alive ${url.search}`);
    case "/fail":
      return new Response("broken", { status: 500 });
    case "/slow":
      return Bun.sleep(3000).then(() => new Response("late"));
    case "/redirect":
      return Response.redirect("http://192.0.2.1/elsewhere", 302);
    case "/headers":
      // Succeeds only when the probe's own header arrived, and echoes what kubelet would send.
      return new Response(`${req.headers.get("user-agent")} ${req.headers.get("host")}`, { status: req.headers.get("x-probe") === "yes" ? 200 : 403 });
    default:
      return new Response("no", { status: 404 });
  }
}

let http: ReturnType<typeof Bun.serve>;
let closedPort: number;

function target(ports: { name?: string; containerPort: number }[] = []): ProbeTarget {
  return { podIP: "127.0.0.1", exec: hostExec, resolvePort: containerPortResolver(ports) };
}

beforeAll(async () => {
  http = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handler });
  // A port that was just free and is closed again: connect gets ECONNREFUSED.
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const addr = s.address();
  closedPort = typeof addr === "object" && addr ? addr.port : 0;
  await new Promise<void>((resolve) => s.close(() => resolve()));
});

afterAll(() => {
  void http.stop(true);
});

describe("httpGet", () => {
  const get = (path: string, extra: Record<string, unknown> = {}) => ({ httpGet: { path, port: http.port ?? 0, ...extra }, timeoutSeconds: 1 });

  test("200 succeeds, with the body as message, and the query string kept", async () => {
    expect(await runProbe(get("/ok?x=1"), target())).toEqual({ ok: true, message: "alive ?x=1" });
  });

  test("500 fails with the status code", async () => {
    expect(await runProbe(get("/fail"), target())).toEqual({ ok: false, message: "HTTP probe failed with statuscode: 500" });
  });

  test("404 fails", async () => {
    expect((await runProbe(get("/missing"), target())).ok).toBe(false);
  });

  test("a redirect is not followed and counts as success", async () => {
    expect((await runProbe(get("/redirect"), target())).ok).toBe(true);
  });

  test("a handler slower than timeoutSeconds fails in about timeoutSeconds", async () => {
    const t0 = performance.now();
    const r = await runProbe(get("/slow"), target());
    const took = performance.now() - t0;
    expect(r.ok).toBe(false);
    expect(r.message).toContain("timed out after 1s");
    expect(took).toBeGreaterThan(900);
    expect(took).toBeLessThan(2500);
  });

  test("a path without a leading slash gets one", async () => {
    expect((await runProbe(get("ok"), target())).ok).toBe(true);
  });

  test("the probe's headers are sent, overriding Host; kubelet's User-Agent otherwise", async () => {
    const r = await runProbe(get("/headers", { httpHeaders: [{ name: "X-Probe", value: "yes" }, { name: "Host", value: "probe.example" }] }), target());
    expect(r).toEqual({ ok: true, message: "kube-probe/tug probe.example" });
    expect((await runProbe(get("/headers"), target())).ok).toBe(false);
  });

  test("a named port resolves through the container's ports; an unknown name fails", async () => {
    const ports = [{ name: "web", containerPort: http.port ?? 0 }];
    expect((await runProbe({ httpGet: { path: "/ok", port: "web" } }, target(ports))).ok).toBe(true);
    expect(await runProbe({ httpGet: { path: "/ok", port: "admin" } }, target(ports))).toEqual({
      ok: false,
      message: 'port "admin" is not one of the container\'s ports',
    });
  });

  test("an explicit host wins over the pod IP", async () => {
    const t = { ...target(), podIP: "192.0.2.1" };
    expect((await runProbe(get("/ok", { host: "127.0.0.1" }), t)).ok).toBe(true);
  });

  test("nothing listening fails, without throwing", async () => {
    const r = await runProbe({ httpGet: { path: "/", port: closedPort } }, target());
    expect(r.ok).toBe(false);
    expect(r.message).toContain(`127.0.0.1:${closedPort}`);
  });

  const skipTls = missing([NEED_OPENSSL], "httpGet HTTPS probe");
  describe.skipIf(!!skipTls)("HTTPS", () => {
    let https: ReturnType<typeof Bun.serve> | undefined;
    let dir = "";
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), `tug-probe-tls-${process.pid}-`));
      const key = join(dir, "key.pem");
      const cert = join(dir, "cert.pem");
      await runChecked(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=probe.test", "-keyout", key, "-out", cert]);
      https = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: handler, tls: { key: Bun.file(key), cert: Bun.file(cert) } });
    });
    afterAll(() => {
      void https?.stop(true);
      rmSync(dir, { recursive: true, force: true });
    });

    test("a self-signed certificate is accepted (no verification, as kubelet)", async () => {
      const r = await runProbe({ httpGet: { path: "/ok", port: https?.port ?? 0, scheme: "HTTPS" } }, target());
      expect(r).toEqual({ ok: true, message: "alive " });
      expect((await runProbe({ httpGet: { path: "/fail", port: https?.port ?? 0, scheme: "HTTPS" } }, target())).ok).toBe(false);
    });
  });
});

describe("tcpSocket", () => {
  test("a listening port succeeds", async () => {
    expect(await runProbe({ tcpSocket: { port: http.port ?? 0 } }, target())).toEqual({ ok: true, message: "" });
  });

  test("a closed port fails with the dial error", async () => {
    const r = await runProbe({ tcpSocket: { port: closedPort } }, target());
    expect(r.ok).toBe(false);
    expect(r.message).toContain(`dial tcp 127.0.0.1:${closedPort}`);
    expect(r.message).toContain("ECONNREFUSED");
  });

  test("a named port resolves; a number written as a string works too", async () => {
    const t = target([{ name: "web", containerPort: http.port ?? 0 }]);
    expect((await runProbe({ tcpSocket: { port: "web" } }, t)).ok).toBe(true);
    expect((await runProbe({ tcpSocket: { port: String(http.port) } }, t)).ok).toBe(true);
    expect((await runProbe({ tcpSocket: { port: 70000 } }, t)).message).toBe("invalid port 70000");
  });
});

describe("exec", () => {
  test("exit code 0 succeeds with the output as message", async () => {
    expect(await runProbe({ exec: { command: ["sh", "-c", "echo healthy"] } }, target())).toEqual({ ok: true, message: "healthy" });
  });

  test("a non-zero exit code fails with code and output", async () => {
    expect(await runProbe({ exec: { command: ["sh", "-c", "echo sick >&2; exit 3"] } }, target())).toEqual({ ok: false, message: "exit code 3: sick" });
  });

  test("a command beyond timeoutSeconds fails", async () => {
    const r = await runProbe({ exec: { command: ["sh", "-c", "sleep 5"] }, timeoutSeconds: 1 }, target());
    // The runtime's own timeout answered (the guard would say "command timed out after 1s").
    expect(r).toEqual({ ok: false, message: "exec failed: command timed out after 1000 ms" });
  });

  test("a runtime call that never returns fails after the timeout and a grace second", async () => {
    const t = { ...target(), exec: () => new Promise<never>(() => {}) };
    const t0 = performance.now();
    expect(await runProbe({ exec: { command: ["true"] }, timeoutSeconds: 1 }, t)).toEqual({ ok: false, message: "command timed out after 1s" });
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  test("a throwing target, an empty command or no handler are failures, not exceptions", async () => {
    const boom: ProbeTarget = {
      ...target(),
      exec: () => {
        throw new Error("runtime gone");
      },
      resolvePort: () => {
        throw new Error("no ports");
      },
    };
    expect(await runProbe({ exec: { command: ["true"] } }, boom)).toEqual({ ok: false, message: "exec failed: runtime gone" });
    expect(await runProbe({ tcpSocket: { port: 1 } }, boom)).toEqual({ ok: false, message: "probe error: no ports" });
    expect(await runProbe({ exec: { command: [] } }, target())).toEqual({ ok: false, message: "exec probe has no command" });
    expect((await runProbe({}, target())).ok).toBe(false);
    expect((await runProbe({ grpc: { port: 9000 } }, target())).message).toContain("grpc");
  });
});
