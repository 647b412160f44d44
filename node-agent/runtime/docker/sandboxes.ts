// Pod sandboxes on Docker, the dockershim pattern (RUNTIME.md §8): Docker
// cannot join a netns made by `ip netns add`, so each pod gets an infra
// container from the pause image with NetworkMode "none" (or "host") and
// IpcMode "shareable"; its network namespace is pinned at /var/run/netns/<id>
// for CNI, and the pod's containers join it with `container:<infraId>`.
//
// Which containers are sandboxes: exactly those carrying LABEL_INFRA, a label
// only this driver sets. listContainers leaves them out, listSandboxes lists
// only them; nothing depends on which labels the agent passes.

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { buildBusyboxImage, PAUSE_IMAGE } from "../../images/image-archive.ts";
import { LABEL_SANDBOX, RuntimeError, type Labels, type Sandbox, type SandboxSpec } from "../runtime.ts";
import { DockerApiError, isNotFound, labelFilter, type DockerApi } from "./docker-api.ts";
import type { ContainerCreateBody, ContainerInspect, ContainerSummary } from "./docker-types.ts";
import { netnsPath, pinNetns, unpinNetns } from "./netns.ts";

/** Driver-private marker of an infra container (value "true"). */
export const LABEL_INFRA = "tug.infra";

/** Docker name of a sandbox's infra container; sandbox ids never contain "_", so it cannot clash with another sandbox. */
export const infraName = (sandboxId: string) => `tug_infra_${sandboxId}`;

export class DockerSandboxes {
  private pauseReady: Promise<void> | undefined;

  constructor(
    private readonly api: DockerApi,
    private readonly stateDir: string,
    private readonly importImage: (tarPath: string) => Promise<string[]>,
  ) {}

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const existing = await this.inspect(infraName(spec.id));
    if (existing) {
      const sameMode = (existing.HostConfig.NetworkMode === "host") === spec.hostNetwork;
      // A stopped infra container is no pod anymore (its netns is stale, RUNTIME.md §8): start the
      // whole pod over, its containers included, as kubelet does.
      if (existing.State.Running && sameMode) return this.finish(spec.id, existing);
      await this.remove(spec.id);
    }
    await this.ensurePauseImage();

    const body: ContainerCreateBody = {
      Image: PAUSE_IMAGE.tag,
      // Docker refuses a hostname together with the host network.
      Hostname: spec.hostNetwork ? undefined : spec.hostname,
      Labels: { ...spec.labels, [LABEL_SANDBOX]: spec.id, [LABEL_INFRA]: "true" },
      HostConfig: {
        NetworkMode: spec.hostNetwork ? "host" : "none",
        IpcMode: "shareable",
        RestartPolicy: { Name: "no" },
        LogConfig: { Type: "json-file", Config: { "max-size": "1m", "max-file": "1" } },
      },
    };
    try {
      const { Id } = await this.createInfra(spec.id, body);
      await this.api.call("POST", `/containers/${Id}/start`);
      const infra = await this.inspect(Id);
      if (!infra?.State.Running) throw new RuntimeError("SandboxError", `infra container of ${spec.id} exited at once: ${infra?.State.Error ?? "gone"}`);
      return await this.finish(spec.id, infra);
    } catch (e) {
      const err = e instanceof DockerApiError ? new RuntimeError("SandboxError", e.dockerMessage, `${e.method} ${e.path}`) : e;
      throw await undoing(err, () => this.remove(spec.id));
    }
  }

  /** Removes every container of the sandbox (infra last), then the netns pin. Idempotent. */
  async remove(id: string): Promise<void> {
    const members = await this.api.json<ContainerSummary[]>("GET", "/containers/json", {
      query: { all: 1, filters: labelFilter({ [LABEL_SANDBOX]: id }) },
    });
    const infraLast = [...members].sort((a, b) => Number(a.Labels?.[LABEL_INFRA] === "true") - Number(b.Labels?.[LABEL_INFRA] === "true"));
    for (const c of infraLast) await this.api.call("DELETE", `/containers/${c.Id}`, { query: { force: true, v: true }, accept: [404] });
    // By name too: an infra container whose labels were lost would otherwise block a re-create.
    await this.api.call("DELETE", `/containers/${infraName(id)}`, { query: { force: true, v: true }, accept: [404] });
    await unpinNetns(id);
  }

  async list(labels: Labels): Promise<Sandbox[]> {
    const infras = await this.api.json<ContainerSummary[]>("GET", "/containers/json", {
      query: { all: 1, filters: labelFilter({ ...labels, [LABEL_INFRA]: "true" }) },
    });
    const out: Sandbox[] = [];
    for (const c of infras) {
      const all = c.Labels ?? {};
      const id = all[LABEL_SANDBOX];
      if (!id) continue;
      const { [LABEL_INFRA]: _infra, ...own } = all;
      const hostNetwork = c.HostConfig?.NetworkMode === "host";
      out.push({ id, runtimeRef: c.Id, labels: own, netnsPath: hostNetwork ? undefined : netnsPath(id) });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The running infra container a pod's container joins; CreateContainerError when it is missing or stopped. */
  async infraOf(sandbox: Sandbox): Promise<ContainerInspect> {
    const infra = await this.inspect(sandbox.runtimeRef ?? infraName(sandbox.id));
    if (!infra) throw new RuntimeError("CreateContainerError", `sandbox ${sandbox.id} not found`);
    if (!infra.State.Running) throw new RuntimeError("CreateContainerError", `sandbox ${sandbox.id} is not running`);
    return infra;
  }

  private async finish(id: string, infra: ContainerInspect): Promise<Sandbox> {
    const { [LABEL_INFRA]: _infra, ...labels } = infra.Config.Labels ?? {};
    if (infra.HostConfig.NetworkMode === "host") return { id, runtimeRef: infra.Id, labels };
    return { id, runtimeRef: infra.Id, labels, netnsPath: await pinNetns(id, infra.State.Pid) };
  }

  private async createInfra(id: string, body: ContainerCreateBody): Promise<{ Id: string }> {
    const create = () => this.api.json<{ Id: string }>("POST", "/containers/create", { query: { name: infraName(id) }, json: body });
    try {
      return await create();
    } catch (e) {
      // The pause image went away since it was checked (an image prune): load it again, once.
      if (!isNotFound(e)) throw e;
      await this.ensurePauseImage();
      return await create();
    }
  }

  private async inspect(ref: string): Promise<ContainerInspect | undefined> {
    try {
      return await this.api.json<ContainerInspect>("GET", `/containers/${ref}/json`);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /**
   * The pause image is built locally from busybox (no registry on an edge board)
   * and loaded when Docker lacks it; concurrent sandboxes share one build.
   */
  private ensurePauseImage(): Promise<void> {
    this.pauseReady ??= (async () => {
      const status = await this.api.call("GET", `/images/${PAUSE_IMAGE.tag}/json`, { accept: [404] });
      if (status !== 404) return;
      mkdirSync(this.stateDir, { recursive: true });
      const tar = join(this.stateDir, "pause-image.tar");
      if (!existsSync(tar)) await buildBusyboxImage(PAUSE_IMAGE, tar);
      await this.importImage(tar);
    })().finally(() => {
      this.pauseReady = undefined;
    });
    return this.pauseReady;
  }
}

/** Runs `undo` after a failure and returns the error to throw: the original, with a failed undo noted in its detail. */
export async function undoing(err: unknown, undo: () => Promise<void>): Promise<unknown> {
  try {
    await undo();
  } catch (cleanup) {
    const note = `cleanup failed too: ${cleanup instanceof Error ? cleanup.message : String(cleanup)}`;
    if (err instanceof RuntimeError) return new RuntimeError(err.reason, err.message, err.detail ? `${err.detail}; ${note}` : note);
    return new AggregateError([err, cleanup], `${err instanceof Error ? err.message : String(err)}; ${note}`);
  }
  return err;
}
