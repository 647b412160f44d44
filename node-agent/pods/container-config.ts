// From a Pod's container to what the runtime runs (pure): env with valueFrom,
// envFrom and $(VAR) expansion, volume mounts onto host paths, resource
// limits. A reference the node cannot satisfy is a CreateContainerConfigError
// naming what is missing, as kubelet reports it.

import type { KubeObject } from "../../core/resources/object.ts";
import type { Pod } from "../../core/resources/pod.ts";
import { parseQuantity, quantityToMilli } from "../../core/resources/quantity.ts";
import type { ContainerSpec, Mount } from "../runtime/runtime.ts";

type Container = Pod["spec"]["containers"][number];

export interface ContainerConfigContext {
  pod: Pod;
  configMaps: Map<string, KubeObject>;
  secrets: Map<string, KubeObject>;
  podIP: string;
  hostIP: string;
  /** Host folder of each pod volume, by volume name. */
  volumeDirs: Map<string, string>;
  /** Extra mounts every container gets (/etc/hosts, /etc/resolv.conf). */
  podMounts: Mount[];
}

export type ContainerConfig = Omit<ContainerSpec, "id" | "labels">;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The runtime-ready configuration of `container`, or a ConfigError (CreateContainerConfigError). */
export function planContainerConfig(container: Container, ctx: ContainerConfigContext): ContainerConfig {
  const env = resolveEnv(container, ctx);
  const vars = new Map(env.map((e) => [e.name, e.value]));
  const expand = (s: string) => expandVars(s, vars);
  const limits = container.resources.limits ?? {};
  const requests = container.resources.requests ?? {};
  const milli = (q: string | undefined) => (q === undefined ? undefined : Number(quantityToMilli(parseQuantity(q))));
  const memory = limits.memory === undefined ? undefined : Math.floor(Number(quantityToMilli(parseQuantity(limits.memory))) / 1000);
  return {
    image: container.image,
    command: container.command?.map(expand),
    args: container.args?.map(expand),
    env,
    workingDir: container.workingDir || undefined,
    mounts: [...ctx.podMounts.filter((m) => !(container.volumeMounts ?? []).some((v) => v.mountPath === m.containerPath)), ...volumeMounts(container, ctx)],
    memoryLimitBytes: memory,
    cpuLimitMillis: milli(limits.cpu),
    cpuRequestMillis: milli(requests.cpu),
  };
}

function volumeMounts(container: Container, ctx: ContainerConfigContext): Mount[] {
  const readOnlyKinds = new Set((ctx.pod.spec.volumes ?? []).filter((v) => v.configMap || v.secret).map((v) => v.name));
  return (container.volumeMounts ?? []).map((m) => {
    const dir = ctx.volumeDirs.get(m.name);
    if (dir === undefined) throw new ConfigError(`volume "${m.name}" of container "${container.name}" is not defined or not supported`);
    const sub = m.subPath ? `/${m.subPath.replace(/^\/+/, "")}` : "";
    return { hostPath: dir + sub, containerPath: m.mountPath, readOnly: !!m.readOnly || readOnlyKinds.has(m.name) };
  });
}

function resolveEnv(container: Container, ctx: ContainerConfigContext): { name: string; value: string }[] {
  const ns = ctx.pod.metadata.namespace ?? "default";
  const out = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const isSecret = !!from.secretRef;
    const obj = (isSecret ? ctx.secrets : ctx.configMaps).get(`${ns}/${ref?.name ?? ""}`);
    if (!obj) {
      if (ref?.optional) continue;
      throw new ConfigError(`${isSecret ? "secret" : "configmap"} "${ref?.name ?? ""}" not found`);
    }
    for (const [k, v] of Object.entries(dataOf(obj, isSecret))) out.set(`${from.prefix ?? ""}${k}`, v);
  }
  const vars = new Map(out);
  for (const e of container.env ?? []) {
    const value = e.valueFrom ? valueFrom(e.name, e.valueFrom, ctx, ns) : expandVars(e.value ?? "", vars);
    if (value === undefined) continue;
    out.set(e.name, value);
    vars.set(e.name, value);
  }
  return [...out].map(([name, value]) => ({ name, value }));
}

type EnvSource = NonNullable<NonNullable<Container["env"]>[number]["valueFrom"]>;

function valueFrom(name: string, src: EnvSource, ctx: ContainerConfigContext, ns: string): string | undefined {
  const keyRef = src.configMapKeyRef ?? src.secretKeyRef;
  if (keyRef) {
    const isSecret = !!src.secretKeyRef;
    const kind = isSecret ? "secret" : "configmap";
    const obj = (isSecret ? ctx.secrets : ctx.configMaps).get(`${ns}/${keyRef.name ?? ""}`);
    if (!obj) {
      if (keyRef.optional) return undefined;
      throw new ConfigError(`${kind} "${keyRef.name ?? ""}" not found`);
    }
    const value = dataOf(obj, isSecret)[keyRef.key];
    if (value === undefined) {
      if (keyRef.optional) return undefined;
      throw new ConfigError(`couldn't find key ${keyRef.key} in ${kind} ${ns}/${keyRef.name ?? ""}`);
    }
    return value;
  }
  if (src.fieldRef) return fieldValue(src.fieldRef.fieldPath, ctx);
  throw new ConfigError(`env ${name}: unsupported valueFrom`);
}

function fieldValue(path: string, ctx: ContainerConfigContext): string {
  const { pod } = ctx;
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label) return (label[1] === "labels" ? pod.metadata.labels : pod.metadata.annotations)?.[label[2]!] ?? "";
  const fields: Record<string, string | undefined> = {
    "metadata.name": pod.metadata.name,
    "metadata.namespace": pod.metadata.namespace,
    "metadata.uid": pod.metadata.uid,
    "spec.nodeName": pod.spec.nodeName,
    "spec.serviceAccountName": pod.spec.serviceAccountName,
    "status.podIP": ctx.podIP,
    "status.podIPs": ctx.podIP,
    "status.hostIP": ctx.hostIP,
    "status.hostIPs": ctx.hostIP,
  };
  if (!(path in fields)) throw new ConfigError(`unsupported fieldRef ${path}`);
  return fields[path] ?? "";
}

/** ConfigMap data (and binaryData) or Secret data (base64) / stringData as strings. */
export function dataOf(obj: KubeObject, isSecret: boolean): Record<string, string> {
  const data = (obj.data ?? {}) as Record<string, string>;
  if (!isSecret) {
    const binary = (obj.binaryData ?? {}) as Record<string, string>;
    return { ...Object.fromEntries(Object.entries(binary).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")])), ...data };
  }
  return { ...Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")])), ...((obj.stringData ?? {}) as Record<string, string>) };
}

/** Kubernetes' $(VAR) expansion: known names are replaced, $$ escapes, unknown references stay as written. */
export function expandVars(s: string, vars: Map<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === "$$") return "$";
    return vars.get(name!) ?? m;
  });
}
