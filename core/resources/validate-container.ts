// Semantic checks on one container (Kubernetes' validateContainers): name,
// image, ports, env, resources, volume mounts and probes.

import type { FieldCause } from "../errors.ts";
import type { Container, Probe, ResourceRequirements } from "./container.ts";
import { PROBE_HANDLERS } from "./container.ts";
import { child, duplicate, forbidden, index, invalid, invalidEach, key, nonNegative, notFound, required } from "./field-errors.ts";
import type { IntOrString } from "./meta.ts";
import { isDNS1123Label, isEnvVarName, isQualifiedName, isValidIP, isValidPortName, isValidPortNum } from "./names.ts";
import { compareQuantities, parseQuantity } from "./quantity.ts";

export interface ContainerContext {
  /** Names of the pod's volumes, for volumeMounts. */
  volumes: ReadonlySet<string>;
  /** Container names seen so far in the pod, for duplicates. */
  names: Set<string>;
  hostNetwork: boolean;
}

/** An int port in range or an IANA service name (validatePortNumOrName). */
export function validatePortNumOrName(port: IntOrString, path: string): FieldCause[] {
  return typeof port === "number" ? invalidEach(path, port, isValidPortNum(port)) : invalidEach(path, port, isValidPortName(port));
}

const STANDARD_CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);

function validateResourceName(name: string, path: string): FieldCause[] {
  if (STANDARD_CONTAINER_RESOURCES.has(name) || name.startsWith("hugepages-")) return [];
  if (!name.includes("/")) return [invalid(path, name, "must be a standard resource for containers")];
  return invalidEach(path, name, isQualifiedName(name));
}

export function validateResources(res: ResourceRequirements, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const which of ["limits", "requests"] as const) {
    for (const [name, q] of Object.entries(res[which] ?? {})) {
      const p = key(child(path, which), name);
      causes.push(...validateResourceName(name, p));
      if (parseQuantity(q).num < 0n) causes.push(invalid(p, q, "must be greater than or equal to 0"));
    }
  }
  for (const [name, request] of Object.entries(res.requests ?? {})) {
    const limit = res.limits?.[name];
    if (limit !== undefined && compareQuantities(parseQuantity(request), parseQuantity(limit)) > 0) {
      causes.push(invalid(key(child(path, "requests"), name), request, `must be less than or equal to ${name} limit`));
    }
  }
  return causes;
}

function validateProbe(probe: Probe, path: string, opts: { successMustBeOne: boolean }): FieldCause[] {
  const causes: FieldCause[] = [];
  const handlers = PROBE_HANDLERS.filter((h) => probe[h] !== undefined);
  if (handlers.length === 0) causes.push(required(path, "must specify a handler type"));
  if (handlers.length > 1) causes.push(forbidden(child(path, handlers[1] ?? ""), "may not specify more than 1 handler type"));
  for (const f of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"] as const) {
    causes.push(...nonNegative(child(path, f), probe[f]));
  }
  if (opts.successMustBeOne && probe.successThreshold !== 1) causes.push(invalid(child(path, "successThreshold"), probe.successThreshold, "must be 1"));
  if (probe.httpGet) causes.push(...validatePortNumOrName(probe.httpGet.port, child(path, "httpGet", "port")));
  if (probe.tcpSocket) causes.push(...validatePortNumOrName(probe.tcpSocket.port, child(path, "tcpSocket", "port")));
  if (probe.grpc) causes.push(...invalidEach(child(path, "grpc", "port"), probe.grpc.port, isValidPortNum(probe.grpc.port)));
  return causes;
}

function validatePorts(c: Container, path: string, ctx: ContainerContext): FieldCause[] {
  const causes: FieldCause[] = [];
  const names = new Set<string>();
  c.ports?.forEach((port, i) => {
    const p = index(path, i);
    if (port.name) {
      const errs = isValidPortName(port.name);
      causes.push(...invalidEach(child(p, "name"), port.name, errs));
      if (errs.length === 0 && names.has(port.name)) causes.push(duplicate(child(p, "name"), port.name));
      names.add(port.name);
    }
    if (port.containerPort === 0) causes.push(required(child(p, "containerPort")));
    else causes.push(...invalidEach(child(p, "containerPort"), port.containerPort, isValidPortNum(port.containerPort)));
    if (port.hostPort !== undefined && port.hostPort !== 0) {
      causes.push(...invalidEach(child(p, "hostPort"), port.hostPort, isValidPortNum(port.hostPort)));
      if (ctx.hostNetwork && port.hostPort !== port.containerPort) {
        causes.push(invalid(child(p, "hostPort"), port.hostPort, "must match `containerPort` when `hostNetwork` is true"));
      }
    }
    if (port.hostIP) causes.push(...invalidEach(child(p, "hostIP"), port.hostIP, isValidIP(port.hostIP)));
  });
  return causes;
}

function validateEnv(c: Container, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  c.env?.forEach((env, i) => {
    const p = index(child(path, "env"), i);
    if (!env.name) causes.push(required(child(p, "name")));
    else causes.push(...invalidEach(child(p, "name"), env.name, isEnvVarName(env.name)));
    const from = env.valueFrom;
    if (from === undefined) return;
    const sources = (["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"] as const).filter((s) => from[s] !== undefined);
    if (env.value) causes.push(invalid(child(p, "valueFrom"), "", "may not be specified when `value` is not empty"));
    if (sources.length === 0) {
      causes.push(invalid(child(p, "valueFrom"), "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
    } else if (sources.length > 1) {
      causes.push(invalid(child(p, "valueFrom"), "", "may not have more than one field specified at a time"));
    }
  });
  c.envFrom?.forEach((src, i) => {
    const p = index(child(path, "envFrom"), i);
    const n = Number(src.configMapRef !== undefined) + Number(src.secretRef !== undefined);
    if (n !== 1) causes.push(invalid(p, "", "must specify one of: `configMapRef` or `secretRef`"));
    if (src.prefix) causes.push(...invalidEach(child(p, "prefix"), src.prefix, isEnvVarName(src.prefix)));
  });
  return causes;
}

export function validateContainer(c: Container, path: string, ctx: ContainerContext): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!c.name) {
    causes.push(required(child(path, "name")));
  } else {
    const errs = isDNS1123Label(c.name);
    causes.push(...invalidEach(child(path, "name"), c.name, errs));
    if (errs.length === 0 && ctx.names.has(c.name)) causes.push(duplicate(child(path, "name"), c.name));
    ctx.names.add(c.name);
  }
  if (!c.image) causes.push(required(child(path, "image")));
  else if (c.image.trim() !== c.image) causes.push(invalid(child(path, "image"), c.image, "must not have leading or trailing whitespace"));
  causes.push(...validatePorts(c, child(path, "ports"), ctx));
  causes.push(...validateEnv(c, path));
  causes.push(...validateResources(c.resources, child(path, "resources")));
  c.volumeMounts?.forEach((m, i) => {
    const p = index(child(path, "volumeMounts"), i);
    if (!m.name) causes.push(required(child(p, "name")));
    else if (!ctx.volumes.has(m.name)) causes.push(notFound(child(p, "name"), m.name));
    if (!m.mountPath) causes.push(required(child(p, "mountPath")));
  });
  if (c.livenessProbe) causes.push(...validateProbe(c.livenessProbe, child(path, "livenessProbe"), { successMustBeOne: true }));
  if (c.readinessProbe) causes.push(...validateProbe(c.readinessProbe, child(path, "readinessProbe"), { successMustBeOne: false }));
  if (c.startupProbe) causes.push(...validateProbe(c.startupProbe, child(path, "startupProbe"), { successMustBeOne: true }));
  return causes;
}
