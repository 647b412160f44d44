// Gates for tests that need root and real system tools: on a developer's
// machine they skip with one clear line; under CI=true a missing tool fails.

import { existsSync } from "node:fs";

const inCi = process.env.CI === "true";

export interface Need {
  /** Human name, e.g. "containerd". */
  what: string;
  /** True when present. */
  present: () => boolean;
  /** What to install. */
  install: string;
}

export const NEED_ROOT: Need = { what: "root", present: () => process.getuid?.() === 0, install: "run the tests as root" };
export const NEED_CONTAINERD: Need = { what: "containerd", present: () => existsSync("/run/containerd/containerd.sock") && !!Bun.which("ctr"), install: "apt-get install containerd runc, and start containerd" };
export const NEED_DOCKER: Need = { what: "Docker", present: () => existsSync("/var/run/docker.sock"), install: "apt-get install docker.io, and start dockerd" };
export const NEED_CNI: Need = { what: "CNI plugins", present: () => existsSync("/usr/lib/cni/bridge") && !!Bun.which("ip"), install: "apt-get install containernetworking-plugins iproute2" };
export const NEED_BUSYBOX: Need = { what: "busybox-static", present: () => existsSync("/bin/busybox"), install: "apt-get install busybox-static" };

/**
 * Returns the reason to skip (printed once), or undefined when every need is met.
 * Under CI=true a missing need throws, so the suite fails instead of skipping.
 */
export function missing(needs: Need[], suite: string): string | undefined {
  const gaps = needs.filter((n) => !n.present());
  if (gaps.length === 0) return undefined;
  const line = `${suite}: skipped, needs ${gaps.map((g) => `${g.what} (${g.install})`).join("; ")}`;
  if (inCi) throw new Error(`${line} (CI=true: a skip is a failure)`);
  console.warn(line);
  return line;
}
