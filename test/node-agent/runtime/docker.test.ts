// The ContainerRuntime conformance suite on the Docker driver, against the
// real dockerd on /var/run/docker.sock.

import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerRuntime } from "../../../node-agent/runtime/docker/docker-runtime.ts";
import { NEED_BUSYBOX, NEED_DOCKER, NEED_ROOT, type Need } from "../requirements.ts";
import { runtimeConformance } from "./conformance.ts";

/** The driver pins each pod's netns with `ip netns attach`. */
const NEED_IPROUTE: Need = { what: "iproute2", present: () => !!Bun.which("ip"), install: "apt-get install iproute2" };

const stateDirs: string[] = [];
afterAll(() => {
  for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
});

runtimeConformance(
  "docker",
  async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "tug-docker-state-"));
    stateDirs.push(stateDir);
    return new DockerRuntime({ stateDir });
  },
  [NEED_ROOT, NEED_DOCKER, NEED_BUSYBOX, NEED_IPROUTE],
);
