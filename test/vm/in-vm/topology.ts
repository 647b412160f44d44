// Runs inside the test VM (root, its own kernel, no network device): "pods"
// and an outside client as network namespaces, each behind a veth pair
// routed through the VM's root namespace (the node), and backends that say
// who they are and who they saw: busybox httpd with a CGI script (static
// busybox sh, cheap to start) answering "<name> <REMOTE_ADDR>".
// Under TCG every exec of a dynamically linked program costs ~0.1 s, so the
// setup is a few `ip -batch` runs, and each client's requests one shell loop.

import { runCommand } from "../../../node-agent/exec/command.ts";

export async function sh(argv: string[], input?: string): Promise<string> {
  const r = await runCommand(argv, { ...(input !== undefined ? { input } : {}), timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
  return r.stdout;
}

export interface Netns {
  name: string;
  /** The namespace's address (eth0, /24). */
  address: string;
  /** The node's side of the veth (x.y.z.1): the namespace's gateway. */
  gateway: string;
}

/** Namespaces with eth0 = address/24, routed through the node; httpd backends on `port` in those marked backend. */
export async function buildTopology(spec: { name: string; address: string; backend?: boolean }[], port: number): Promise<Netns[]> {
  const all = spec.map((s) => ({ ...s, gateway: s.address.replace(/\.\d+$/, ".1") }));
  const lines = ["set -e", "ip -batch - <<'EOF'"];
  for (const n of all) lines.push(`netns add ${n.name}`, `link add v-${n.name} type veth peer name eth0 netns ${n.name}`, `addr add ${n.gateway}/24 dev v-${n.name}`, `link set v-${n.name} up`);
  lines.push("EOF");
  for (const n of all) {
    lines.push(`ip -n ${n.name} -batch - <<'EOF'`, `addr add ${n.address}/24 dev eth0`, "link set eth0 up", "link set lo up", `route add default via ${n.gateway}`, "EOF");
    if (!n.backend) continue;
    lines.push(
      `mkdir -p /www/${n.name}/cgi-bin`,
      `cat > /www/${n.name}/cgi-bin/who <<'CGI'`,
      "#!/bin/busybox sh",
      `printf 'Content-Type: text/plain\\r\\n\\r\\n%s %s\\n' ${n.name} "$REMOTE_ADDR"`,
      "CGI",
      `chmod 755 /www/${n.name}/cgi-bin/who`,
      // busybox httpd daemonizes; it dies with the VM.
      `nsenter --net=/run/netns/${n.name} httpd -p ${port} -h /www/${n.name}`,
    );
  }
  await sh(["bash", "-c", lines.join("\n")]);
  return all.map(({ name, address, gateway }) => ({ name, address, gateway }));
}

export interface Reply {
  backend: string;
  /** The client address the backend saw (IPv4, without httpd's ::ffff: prefix), or why the request failed. */
  seenFrom: string;
}

/**
 * `count` GETs, each on a fresh connection (busybox wget; its -T crashes,
 * hence timeout), from namespace `ns` or the node itself. A failed request
 * is a reply from backend "error", so the host sees what happened.
 */
export async function requests(url: string, count: number, ns?: string): Promise<Reply[]> {
  const loop = `for i in $(seq ${count}); do timeout 5 wget -qO- '${url}' 2>&1 || echo "error exit-$?"; done`;
  const argv = [...(ns ? ["nsenter", `--net=/run/netns/${ns}`] : []), "bash", "-c", loop];
  const out = await sh(argv);
  return out
    .trim()
    .split("\n")
    .map((line) => {
      const [backend = "", seen = ""] = line.trim().split(" ");
      return /^be\d+$/.test(backend) ? { backend, seenFrom: seen.replace(/^\[?(::ffff:)?/, "").replace(/\]$/, "") } : { backend: "error", seenFrom: line };
    });
}
