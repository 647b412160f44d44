import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../core/resources/object.ts";
import { Pod } from "../../../core/resources/pod.ts";
import { ConfigError, expandVars, planContainerConfig, type ContainerConfigContext } from "../../../node-agent/pods/container-config.ts";

const cm = (name: string, data: Record<string, string>): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns" }, data });
const secret = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: "ns" },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
});

function ctx(container: Record<string, unknown>, extra: Partial<ContainerConfigContext> = {}): [Pod["spec"]["containers"][number], ContainerConfigContext] {
  const pod = Pod.parse({ metadata: { name: "p", namespace: "ns", uid: "u1", labels: { app: "web" } }, spec: { nodeName: "n1", containers: [{ name: "c", image: "img:1", ...container }], volumes: [{ name: "data", emptyDir: {} }, { name: "cfg", configMap: { name: "cfg" } }] } });
  return [
    pod.spec.containers[0]!,
    {
      pod,
      configMaps: new Map([["ns/cfg", cm("cfg", { greeting: "hi", level: "3" })]]),
      secrets: new Map([["ns/s", secret("s", { password: "pw" })]]),
      podIP: "10.42.0.5",
      hostIP: "192.0.2.2",
      volumeDirs: new Map([["data", "/pods/u1/data"], ["cfg", "/pods/u1/cfg"]]),
      podMounts: [{ hostPath: "/pods/u1/hosts", containerPath: "/etc/hosts", readOnly: false }],
      ...extra,
    },
  ];
}

describe("planContainerConfig", () => {
  test("env: values, valueFrom (ConfigMap, Secret, fieldRef), envFrom with prefix, $(VAR) expansion in order", () => {
    const config = planContainerConfig(
      ...ctx({
        envFrom: [{ configMapRef: { name: "cfg" }, prefix: "CFG_" }],
        env: [
          { name: "A", value: "a" },
          { name: "B", value: "$(A)-$(CFG_level)-$$(A)-$(MISSING)" },
          { name: "PW", valueFrom: { secretKeyRef: { name: "s", key: "password" } } },
          { name: "G", valueFrom: { configMapKeyRef: { name: "cfg", key: "greeting" } } },
          { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
          { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        ],
        command: ["echo", "$(G)"],
        args: ["$(NODE)"],
      }),
    );
    expect(Object.fromEntries(config.env.map((e) => [e.name, e.value]))).toEqual({
      CFG_greeting: "hi",
      CFG_level: "3",
      A: "a",
      B: "a-3-$(A)-$(MISSING)",
      PW: "pw",
      G: "hi",
      IP: "10.42.0.5",
      NODE: "n1",
      APP: "web",
    });
    expect(config.command).toEqual(["echo", "hi"]);
    expect(config.args).toEqual(["n1"]);
  });

  test.each([
    [{ env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "nope" } } }] }, "couldn't find key nope in configmap ns/cfg"],
    [{ env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "other", key: "k" } } }] }, 'configmap "other" not found'],
    [{ env: [{ name: "X", valueFrom: { secretKeyRef: { name: "s", key: "user" } } }] }, "couldn't find key user in secret ns/s"],
    [{ envFrom: [{ secretRef: { name: "missing" } }] }, 'secret "missing" not found'],
    [{ volumeMounts: [{ name: "undefined-vol", mountPath: "/x" }] }, 'volume "undefined-vol" of container "c" is not defined'],
  ])("%j -> ConfigError %s", (container, message) => {
    expect(() => planContainerConfig(...ctx(container))).toThrow(ConfigError);
    expect(() => planContainerConfig(...ctx(container))).toThrow(message);
  });

  test("optional references that are missing are skipped", () => {
    const config = planContainerConfig(...ctx({ env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "other", key: "k", optional: true } } }], envFrom: [{ secretRef: { name: "none", optional: true } }] }));
    expect(config.env).toEqual([]);
  });

  test("mounts: volumes (configMap read-only), subPath, pod mounts unless a volume covers the same path; limits", () => {
    const config = planContainerConfig(
      ...ctx({
        volumeMounts: [
          { name: "data", mountPath: "/data", subPath: "sub" },
          { name: "cfg", mountPath: "/etc/app" },
        ],
        resources: { limits: { memory: "64Mi", cpu: "500m" }, requests: { cpu: "250m" } },
      }),
    );
    expect(config.mounts).toEqual([
      { hostPath: "/pods/u1/hosts", containerPath: "/etc/hosts", readOnly: false },
      { hostPath: "/pods/u1/data/sub", containerPath: "/data", readOnly: false },
      { hostPath: "/pods/u1/cfg", containerPath: "/etc/app", readOnly: true },
    ]);
    expect(config.memoryLimitBytes).toBe(64 * 1024 * 1024);
    expect(config.cpuLimitMillis).toBe(500);
    expect(config.cpuRequestMillis).toBe(250);
  });
});

test.each([
  ["$(A)", "1"],
  ["$$(A)", "$(A)"],
  ["x$(B)y", "x$(B)y"],
  ["$A", "$A"],
  ["$(A)$(A)", "11"],
])("expandVars(%s) = %s", (input, want) => {
  expect(expandVars(input, new Map([["A", "1"]]))).toBe(want);
});
