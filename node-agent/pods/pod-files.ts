// The files every container of a pod shares: /etc/hosts (the pod's own name
// and hostAliases) and /etc/resolv.conf, kept in the pod's folder and
// bind-mounted, since ctr and the pause-less sandbox create neither.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Pod } from "../../core/resources/pod.ts";
import type { Mount } from "../runtime/runtime.ts";

export function writePodNetworkFiles(podDir: string, pod: Pod, podIP: string): void {
  mkdirSync(join(podDir, "logs"), { recursive: true });
  const hostname = pod.spec.hostname ?? pod.metadata.name;
  const aliases = (pod.spec.hostAliases ?? []).map((a) => `${a.ip}\t${(a.hostnames ?? []).join(" ")}\n`).join("");
  writeFileSync(join(podDir, "hosts"), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${podIP}\t${hostname}\n${aliases}`);
  writeFileSync(join(podDir, "resolv.conf"), hostResolvConf());
}

export function podNetworkMounts(podDir: string): Mount[] {
  return [
    { hostPath: join(podDir, "hosts"), containerPath: "/etc/hosts", readOnly: false },
    { hostPath: join(podDir, "resolv.conf"), containerPath: "/etc/resolv.conf", readOnly: false },
  ];
}

/** The host's resolver configuration (cluster DNS comes with the Services issue). */
function hostResolvConf(): string {
  try {
    return readFileSync("/etc/resolv.conf", "utf8");
  } catch {
    return "";
  }
}
