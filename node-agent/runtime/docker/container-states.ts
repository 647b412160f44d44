// listContainers for Docker. The agent polls it about once a second, so it
// costs one `GET /containers/json` per call: a container is inspected (for exit
// code, OOMKilled, start and finish times) only when its listed State differs
// from the one cached for it, and the cache forgets containers that are gone.

import type { ContainerState, ContainerStateName, Labels } from "../runtime.ts";
import { isNotFound, labelFilter, type DockerApi } from "./docker-api.ts";
import type { ContainerInspect, ContainerSummary } from "./docker-types.ts";
import { LABEL_INFRA } from "./sandboxes.ts";

interface Cached {
  /** Docker's listed State when `state` was read. */
  listed: string;
  state: ContainerState;
}

export class ContainerStates {
  /** By Docker's full id (a name can be reused by a new container). */
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly api: DockerApi) {}

  async list(labels: Labels): Promise<ContainerState[]> {
    const summaries = await this.api.json<ContainerSummary[]>("GET", "/containers/json", { query: { all: 1, filters: labelFilter(labels) } });
    const seen = new Set<string>();
    const out: ContainerState[] = [];
    for (const c of summaries) {
      if (c.Labels?.[LABEL_INFRA] === "true") continue;
      seen.add(c.Id);
      const hit = this.cache.get(c.Id);
      if (hit && hit.listed === c.State) {
        out.push(hit.state);
        continue;
      }
      const state = await this.read(c);
      if (!state) continue;
      this.cache.set(c.Id, { listed: c.State, state });
      out.push(state);
    }
    // A cached container that matches these labels but was not listed has been removed.
    for (const [id, { state }] of this.cache) {
      if (!seen.has(id) && Object.entries(labels).every(([k, v]) => state.labels[k] === v)) this.cache.delete(id);
    }
    return out;
  }

  /** Drop what is known about a container (after removing it). */
  forget(name: string): void {
    for (const [id, { state }] of this.cache) if (state.id === name) this.cache.delete(id);
  }

  clear(): void {
    this.cache.clear();
  }

  /** The state from the summary alone when that is enough (created), else from an inspect; undefined when it vanished meanwhile. */
  private async read(c: ContainerSummary): Promise<ContainerState | undefined> {
    const base: ContainerState = { id: nameOf(c), labels: c.Labels ?? {}, state: stateName(c.State) };
    if (base.state === "created") return base;
    let info: ContainerInspect;
    try {
      info = await this.api.json<ContainerInspect>("GET", `/containers/${c.Id}/json`);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const s = info.State;
    const state: ContainerState = { ...base, state: stateName(s.Status), startedAt: dockerTime(s.StartedAt) };
    if (state.state === "exited") {
      state.exitCode = s.ExitCode;
      state.oomKilled = s.OOMKilled;
      state.finishedAt = dockerTime(s.FinishedAt);
    }
    if (s.Error) state.message = s.Error;
    return state;
  }
}

function stateName(docker: string): ContainerStateName {
  switch (docker) {
    case "created":
      return "created";
    case "running":
    case "paused":
    case "restarting":
      return "running";
    case "exited":
    case "dead":
      return "exited";
    default:
      return "unknown";
  }
}

/** The spec id the container was created under (Docker lists names with a leading "/"). */
function nameOf(c: ContainerSummary): string {
  const name = c.Names[0] ?? c.Id;
  return name.startsWith("/") ? name.slice(1) : name;
}

/** Docker writes "0001-01-01T00:00:00Z" for a time that never happened. */
function dockerTime(t: string): string | undefined {
  return t && !t.startsWith("0001-") ? t : undefined;
}
