// install.sh and uninstall.sh against a scratch root (--root: no packages, no
// systemctl): the files, their modes, the env file's secrecy, idempotency
// (a second run changes nothing), and an uninstall that leaves the root as it
// was. Also the refusals: 32-bit ARM, http:// servers, a server without a token.

import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPTS = join(import.meta.dir, "../../firmware-scripts");
const work = mkdtempSync(join(tmpdir(), "tug-install-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const binary = join(work, "tug-linux-test");
writeFileSync(binary, "#!/bin/sh\necho tug test\n", { mode: 0o755 });
const TOKEN = "TUG10abcdef.0123456789abcdef.sha256:00ff";

/** A root shaped like a fresh Debian: the directories install.sh writes into already exist. */
function scratchRoot(): string {
  const root = mkdtempSync(join(work, "root-"));
  for (const d of ["etc/systemd/system", "usr/local/bin", "usr/local/lib", "var/lib", "sys/fs/cgroup"]) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, "sys/fs/cgroup/cgroup.controllers"), "cpuset cpu io memory pids\n");
  return root;
}

/** Every path under root with its mode and content (or link target). */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[r] = `link -> ${readlinkSync(join(root, r))}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${mode}`;
        walk(r);
      } else out[r] = `file ${mode} ${Bun.hash(readFileSync(join(root, r))).toString(16)}`;
    }
  };
  walk("");
  return out;
}

async function sh(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(["sh", join(SCRIPTS, script), ...args], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env } });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, out, err };
}

const mode = (p: string) => (lstatSync(p).mode & 0o777).toString(8);

describe("install.sh as an agent", () => {
  const root = scratchRoot();
  const before = snapshot(root);
  const args = ["--root", root, "--binary", binary, "--server", "https://10.0.0.5:6443", "--token", TOKEN, "--node-name", "pi-07"];

  test("installs the binary, a K3s-style unit and a 0600 env file", async () => {
    const r = await sh("install.sh", args);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(mode(join(root, "usr/local/bin/tug"))).toBe("755");
    expect(readFileSync(join(root, "usr/local/bin/tug"), "utf8")).toBe(readFileSync(binary, "utf8"));
    const unit = readFileSync(join(root, "etc/systemd/system/tug-agent.service"), "utf8");
    for (const line of ["Restart=always", "Delegate=yes", "KillMode=process", "After=network-online.target containerd.service", "Wants=network-online.target", "EnvironmentFile=-/etc/systemd/system/tug-agent.service.env", "WantedBy=multi-user.target"]) {
      expect(unit.split("\n")).toContain(line);
    }
    // The first start joins with the token; later ones use the stored credential.
    expect(unit).toContain(`exec /usr/local/bin/tug join "$$TUG_SERVER" --token "$$TUG_TOKEN"`);
    expect(unit).toContain("[ -s /var/lib/tug/agent/credentials.json ] && exec /usr/local/bin/tug agent");
    expect(mode(join(root, "etc/systemd/system/tug-agent.service"))).toBe("644");
    const envFile = join(root, "etc/systemd/system/tug-agent.service.env");
    expect(mode(envFile)).toBe("600");
    expect(readFileSync(envFile, "utf8")).toBe(`TUG_SERVER=https://10.0.0.5:6443\nTUG_TOKEN=${TOKEN}\nTUG_NODE_NAME=pi-07\n`);
    expect(readlinkSync(join(root, "etc/systemd/system/multi-user.target.wants/tug-agent.service"))).toBe("/etc/systemd/system/tug-agent.service");
    expect(mode(join(root, "usr/local/bin/tug-uninstall.sh"))).toBe("755");
    expect(existsSync(join(root, "etc/systemd/system/tug-server.service"))).toBe(false);
    // systemd itself accepts the unit (where systemd is installed).
    if (Bun.which("systemd-analyze")) {
      const v = Bun.spawn(["systemd-analyze", "verify", join(root, "etc/systemd/system/tug-agent.service")], { stdout: "pipe", stderr: "pipe" });
      const [code, err] = await Promise.all([v.exited, new Response(v.stderr).text()]);
      expect(err).toBe("");
      expect(code).toBe(0);
    }
  });

  test("a second run changes nothing and says so", async () => {
    const first = snapshot(root);
    const r = await sh("install.sh", args);
    expect(r.code).toBe(0);
    expect(r.out).toContain("tug-agent already up to date");
    expect(snapshot(root)).toEqual(first);
  });

  test("uninstall keeps the data by default, and --remove-data leaves the root as it was", async () => {
    mkdirSync(join(root, "var/lib/tug/agent"), { recursive: true });
    writeFileSync(join(root, "var/lib/tug/agent/credentials.json"), "{}");
    const keep = await sh("uninstall.sh", ["--root", root]);
    expect(keep.code).toBe(0);
    expect(existsSync(join(root, "var/lib/tug/agent/credentials.json"))).toBe(true);
    expect(existsSync(join(root, "usr/local/bin/tug"))).toBe(false);
    const all = await sh("uninstall.sh", ["--root", root, "--remove-data"]);
    expect(all.code).toBe(0);
    expect(snapshot(root)).toEqual(before);
  });
});

describe("install.sh as a server", () => {
  test("installs tug-server.service without an env file; uninstall removes it all", async () => {
    const root = scratchRoot();
    const before = snapshot(root);
    const r = await sh("install.sh", ["--root", root, "--binary", binary]);
    expect(r.code).toBe(0);
    const unit = readFileSync(join(root, "etc/systemd/system/tug-server.service"), "utf8");
    expect(unit).toContain("ExecStart=/usr/local/bin/tug server\n");
    expect(unit).not.toContain("ConditionPathExists");
    expect(existsSync(join(root, "etc/systemd/system/tug-server.service.env"))).toBe(false);
    expect(existsSync(join(root, "etc/systemd/system/tug-agent.service"))).toBe(false);
    expect((await sh("uninstall.sh", ["--root", root])).code).toBe(0);
    expect(snapshot(root)).toEqual(before);
  });

  test("warns with the cmdline.txt fix when the memory cgroup is off", async () => {
    const root = scratchRoot();
    writeFileSync(join(root, "sys/fs/cgroup/cgroup.controllers"), "cpuset cpu io pids\n");
    mkdirSync(join(root, "boot/firmware"), { recursive: true });
    writeFileSync(join(root, "boot/firmware/cmdline.txt"), "console=tty1 root=PARTUUID=1-02\n");
    const r = await sh("install.sh", ["--root", root, "--binary", binary]);
    expect(r.code).toBe(0);
    expect(r.err).toContain("memory cgroup controller is off");
    expect(r.err).toContain("add 'cgroup_memory=1 cgroup_enable=memory' to the end of the single line in /boot/firmware/cmdline.txt");
  });
});

describe("install.sh refuses before writing anything", () => {
  const fakeBin = join(work, "armv7-bin");
  mkdirSync(fakeBin);
  writeFileSync(join(fakeBin, "uname"), '#!/bin/sh\n[ "$1" = -m ] && echo armv7l || echo Linux\n');
  chmodSync(join(fakeBin, "uname"), 0o755);

  const cases: [string, string[], Record<string, string>, string][] = [
    ["32-bit ARM", [], { PATH: `${fakeBin}:${process.env.PATH}` }, "Bun, and so tug, does not run on 32-bit ARM"],
    ["an http:// server", ["--server", "http://10.0.0.5:6443", "--token", TOKEN], {}, "--server must be an https:// URL"],
    ["a server without a token", ["--server", "https://10.0.0.5:6443"], {}, "needs a token"],
    ["an empty token file", ["--server", "https://10.0.0.5:6443", "--token-file", "/dev/null"], {}, "needs a token"],
    ["a bad node name", ["--server", "https://10.0.0.5:6443", "--token", TOKEN, "--node-name", "Pi_07"], {}, "--node-name must be"],
    ["a missing binary", ["--binary", "/nonexistent/tug"], {}, "no tug binary at /nonexistent/tug"],
  ];
  for (const [name, args, env, message] of cases) {
    test(name, async () => {
      const root = scratchRoot();
      const before = snapshot(root);
      const r = await sh("install.sh", ["--root", root, "--binary", binary, ...args], env);
      expect(r.code).toBe(1);
      expect(r.err).toContain(message);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(snapshot(root)).toEqual(before);
    });
  }
});
