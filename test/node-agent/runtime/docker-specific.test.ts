// What only the Docker driver has: the infra container and its pinned netns,
// the pause image built on demand, sandbox re-creation, the listContainers
// cache, Docker's 16 KiB log splits, and the errors of an absent daemon.
// The shared behaviour is in conformance.ts (run by docker.test.ts).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runChecked } from "../../../node-agent/exec/command.ts";
import { PAUSE_IMAGE } from "../../../node-agent/images/image-archive.ts";
import { ContainerStates } from "../../../node-agent/runtime/docker/container-states.ts";
import { DockerApi, DockerApiError, labelFilter, type RequestOptions } from "../../../node-agent/runtime/docker/docker-api.ts";
import { DockerRuntime } from "../../../node-agent/runtime/docker/docker-runtime.ts";
import type { ContainerInspect, ContainerSummary } from "../../../node-agent/runtime/docker/docker-types.ts";
import { infraName, LABEL_INFRA } from "../../../node-agent/runtime/docker/sandboxes.ts";
import { LABEL_CONTAINER, LABEL_NODE, LABEL_SANDBOX, RuntimeError, type ContainerSpec, type Labels } from "../../../node-agent/runtime/runtime.ts";
import { eventually } from "../../support.ts";
import { missing, NEED_BUSYBOX, NEED_DOCKER, NEED_ROOT, type Need } from "../requirements.ts";
import { TEST_IMAGE, testImageTar } from "../test-image.ts";

const NEED_IPROUTE: Need = { what: "iproute2", present: () => !!Bun.which("ip"), install: "apt-get install iproute2" };

describe("Docker driver without a daemon", () => {
  test("an absent socket is RuntimeUnavailable, with the socket in the message", async () => {
    const rt = new DockerRuntime({ socketPath: `/tmp/tug-no-docker-${process.pid}.sock`, stateDir: tmpdir() });
    const err = await rt.version().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).reason).toBe("RuntimeUnavailable");
    expect((err as RuntimeError).message).toBe(`Docker is not running at /tmp/tug-no-docker-${process.pid}.sock (apt-get install docker.io)`);
  });
});

const skip = missing([NEED_ROOT, NEED_DOCKER, NEED_BUSYBOX, NEED_IPROUTE], "Docker driver specifics");

/** Counts container inspects, to see what listContainers costs. */
class CountingApi extends DockerApi {
  inspects = 0;
  override async json<T>(method: string, path: string, opts?: RequestOptions): Promise<T> {
    if (method === "GET" && /^\/containers\/[^/]+\/json$/.test(path)) this.inspects++;
    return super.json<T>(method, path, opts);
  }
}

describe.skipIf(!!skip)("Docker driver specifics", () => {
  const run = `${process.pid}`;
  const node = `tug-test-docker-${run}`;
  const mine: Labels = { [LABEL_NODE]: node };
  const api = new DockerApi();
  let rt: DockerRuntime;
  let stateDir: string;
  let seq = 0;

  const spec = (what: string, command: string[]): ContainerSpec => ({
    id: `tugd-${run}-${what}-${++seq}`,
    image: TEST_IMAGE,
    command,
    env: [],
    mounts: [],
    labels: { ...mine, [LABEL_CONTAINER]: what },
  });
  const inspect = (ref: string) => api.json<ContainerInspect>("GET", `/containers/${ref}/json`);
  const inode = (path: string) => {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "tug-docker-state-"));
    rt = new DockerRuntime({ stateDir });
    await rt.importImage(await testImageTar());
  }, 60_000);

  afterAll(async () => {
    if (!rt) return;
    for (const c of await rt.listContainers(mine)) await rt.removeContainer(c.id);
    for (const s of await rt.listSandboxes(mine)) await rt.removeSandbox(s.id);
    await rt.close();
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  test("the pause image is built and loaded when Docker lacks it", async () => {
    // Another run's sandbox may hold the image (Docker then refuses); the build path is only checked when it can be.
    const removed = await rt.removeImage(PAUSE_IMAGE.tag).then(
      () => true,
      (e: unknown) => (e instanceof DockerApiError && e.status === 409 ? false : Promise.reject(e)),
    );
    if (removed) expect(await rt.hasImage(PAUSE_IMAGE.tag)).toBe(false);
    const sb = await rt.createSandbox({ id: `tugd-${run}-pause`, hostname: "p", hostNetwork: false, labels: mine });
    expect(await rt.hasImage(PAUSE_IMAGE.tag)).toBe(true);
    await rt.removeSandbox(sb.id);
  }, 60_000);

  test("a sandbox is an infra container owning a pinned netns with loopback up; containers share its net, IPC and hostname", async () => {
    const sb = await rt.createSandbox({ id: `tugd-${run}-infra`, hostname: "infra-host", hostNetwork: false, labels: mine });
    const infra = await inspect(infraName(sb.id));
    expect(sb.runtimeRef).toBe(infra.Id);
    expect(infra.State.Running).toBe(true);
    expect(infra.HostConfig.NetworkMode).toBe("none");
    expect(infra.HostConfig.IpcMode).toBe("shareable");
    expect(infra.Config.Hostname).toBe("infra-host");
    expect(infra.Config.Labels).toMatchObject({ ...mine, [LABEL_SANDBOX]: sb.id, [LABEL_INFRA]: "true" });
    expect(sb.labels[LABEL_INFRA]).toBeUndefined();

    expect(sb.netnsPath).toBe(`/var/run/netns/${sb.id}`);
    expect(inode(sb.netnsPath ?? "")).toBe(inode(`/proc/${infra.State.Pid}/ns/net`));
    expect((await runChecked(["ip", "-n", sb.id, "link", "show", "lo"])).stdout).toMatch(/[<,]UP[,>]/);

    const app = spec("app", ["sh", "-c", "while :; do sleep 1; done"]);
    await rt.startContainer(sb, app, "");
    const appInfo = await inspect(app.id);
    expect(appInfo.HostConfig.NetworkMode).toBe(`container:${infra.Id}`);
    expect(appInfo.HostConfig.IpcMode).toBe(`container:${infra.Id}`);
    expect(inode(`/proc/${appInfo.State.Pid}/ns/net`)).toBe(inode(sb.netnsPath ?? ""));
    expect(inode(`/proc/${appInfo.State.Pid}/ns/ipc`)).toBe(inode(`/proc/${infra.State.Pid}/ns/ipc`));
    expect(await rt.exec(app.id, ["hostname"], 5_000)).toEqual({ exitCode: 0, output: "infra-host\n" });

    // Infra containers are sandboxes, never containers.
    expect((await rt.listContainers(mine)).map((c) => c.id)).toEqual([app.id]);

    // removeSandbox takes the pod's containers with it, then the pin.
    await rt.removeSandbox(sb.id);
    expect(await rt.listContainers(mine)).toEqual([]);
    expect(await api.call("GET", `/containers/${app.id}/json`, { accept: [404] })).toBe(404);
    expect(await Bun.file(sb.netnsPath ?? "").exists()).toBe(false);
  }, 30_000);

  test("create again re-pins a lost netns, and replaces a stopped infra container", async () => {
    const sbSpec = { id: `tugd-${run}-again`, hostname: "again", hostNetwork: false, labels: mine };
    const first = await rt.createSandbox(sbSpec);
    await runChecked(["ip", "netns", "del", sbSpec.id]);
    const repinned = await rt.createSandbox(sbSpec);
    expect(repinned.runtimeRef).toBe(first.runtimeRef);
    const pid = (await inspect(first.runtimeRef ?? "")).State.Pid;
    expect(inode(repinned.netnsPath ?? "")).toBe(inode(`/proc/${pid}/ns/net`));

    await api.call("POST", `/containers/${first.runtimeRef}/stop`, { query: { t: 5 } });
    const fresh = await rt.createSandbox(sbSpec);
    expect(fresh.runtimeRef).not.toBe(first.runtimeRef);
    const freshPid = (await inspect(fresh.runtimeRef ?? "")).State.Pid;
    expect(inode(fresh.netnsPath ?? "")).toBe(inode(`/proc/${freshPid}/ns/net`));
    expect((await rt.listSandboxes(mine)).map((s) => s.runtimeRef)).toEqual([fresh.runtimeRef]);
    await rt.removeSandbox(sbSpec.id);
  }, 30_000);

  test("limits and restart policy reach Docker", async () => {
    const sb = await rt.createSandbox({ id: `tugd-${run}-limits`, hostname: "l", hostNetwork: false, labels: mine });
    const s = { ...spec("limits", ["sleep", "30"]), memoryLimitBytes: 48 * 1024 * 1024, cpuLimitMillis: 250, cpuRequestMillis: 100 };
    await rt.startContainer(sb, s, "");
    const info = await api.json<{ HostConfig: Record<string, unknown> }>("GET", `/containers/${s.id}/json`);
    expect(info.HostConfig).toMatchObject({
      Memory: 48 * 1024 * 1024,
      MemorySwap: 48 * 1024 * 1024,
      NanoCpus: 250_000_000,
      CpuShares: 102,
      RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
    });
    await rt.removeSandbox(sb.id);
  }, 30_000);

  test("listContainers inspects a container only when its state changes", async () => {
    const counting = new CountingApi();
    const states = new ContainerStates(counting);
    const sb = await rt.createSandbox({ id: `tugd-${run}-cache`, hostname: "c", hostNetwork: false, labels: mine });
    const s = spec("cache", ["sh", "-c", "sleep 1; exit 4"]);
    await rt.startContainer(sb, s, "");

    const first = await states.list(mine);
    expect(first.map((c) => [c.id, c.state])).toEqual([[s.id, "running"]]);
    expect(first[0]?.startedAt).toBeTruthy();
    expect(counting.inspects).toBe(1);
    for (let i = 0; i < 3; i++) await states.list(mine);
    expect(counting.inspects).toBe(1);

    const exited = await eventually(() => states.list(mine), (l) => l[0]?.state === "exited", 10_000);
    expect(exited[0]).toMatchObject({ id: s.id, state: "exited", exitCode: 4, oomKilled: false });
    expect(counting.inspects).toBe(2);
    await states.list(mine);
    expect(counting.inspects).toBe(2);
    await rt.removeSandbox(sb.id);
    expect(await states.list(mine)).toEqual([]);
  }, 30_000);

  test("a line longer than Docker's 16 KiB log entry comes back whole, with one timestamp", async () => {
    const sb = await rt.createSandbox({ id: `tugd-${run}-long`, hostname: "g", hostNetwork: false, labels: mine });
    const s = spec("long", ["sh", "-c", "head -c 40000 /dev/zero | tr '\\0' a; echo; echo short"]);
    await rt.startContainer(sb, s, "");
    await eventually(() => rt.listContainers(mine), (l) => l.some((c) => c.id === s.id && c.state === "exited"));
    const lines: string[] = [];
    for await (const line of rt.logs(s.id, "", { follow: false, timestamps: true })) lines.push(line);
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(/^\S+Z a{40000}\n$/);
    expect(lines[1]).toMatch(/^\S+Z short\n$/);
    await rt.removeSandbox(sb.id);
  }, 30_000);

  test("Docker's errors name the request and carry Docker's message", async () => {
    const err = await api.call("GET", `/containers/tugd-${run}-nope/json`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerApiError);
    expect((err as DockerApiError).message).toBe(`GET /containers/tugd-${run}-nope/json: 404 No such container: tugd-${run}-nope`);
    const bad = await rt.startContainer({ id: `tugd-${run}-nosandbox`, labels: {} }, spec("x", ["true"]), "").catch((e: unknown) => e);
    expect((bad as RuntimeError).reason).toBe("CreateContainerError");
    const sb = await rt.createSandbox({ id: `tugd-${run}-noimg`, hostname: "n", hostNetwork: false, labels: mine });
    const noImage = await rt.startContainer(sb, { ...spec("noimg", ["true"]), image: `tug.test/missing-${run}:1` }, "").catch((e: unknown) => e);
    expect((noImage as RuntimeError).reason).toBe("CreateContainerError");
    expect((noImage as RuntimeError).message).toContain(`tug.test/missing-${run}:1`);
    await rt.removeSandbox(sb.id);
    const left = await api.json<ContainerSummary[]>("GET", "/containers/json", { query: { all: 1, filters: labelFilter(mine) } });
    expect(left).toEqual([]);
  }, 30_000);
});
