import { afterAll, expect, test } from "bun:test";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pod } from "../../../core/resources/pod.ts";
import { ConfigError } from "../../../node-agent/pods/container-config.ts";
import { ensureVolumes, writeAtomically } from "../../../node-agent/pods/volumes.ts";

const dir = mkdtempSync(join(tmpdir(), "tug-volumes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = (m: Record<string, string>, mode = 0o644) => new Map(Object.entries(m).map(([k, content]) => [k, { content, mode }]));

test("writeAtomically swaps ..data in one rename, drops stale names, and does nothing when nothing changed", () => {
  const d = join(dir, "atomic");
  writeAtomically(d, files({ a: "1", b: "2" }));
  expect(readFileSync(join(d, "a"), "utf8")).toBe("1");
  expect(lstatSync(join(d, "a")).isSymbolicLink()).toBe(true);
  const first = readlinkSync(join(d, "..data"));
  writeAtomically(d, files({ a: "1", b: "2" }));
  expect(readlinkSync(join(d, "..data"))).toBe(first);
  writeAtomically(d, files({ a: "changed" }, 0o600));
  expect(readFileSync(join(d, "a"), "utf8")).toBe("changed");
  expect(statSync(join(d, "a")).mode & 0o777).toBe(0o600);
  expect(readdirSync(d).sort()).toEqual(["..data", readlinkSync(join(d, "..data")), "a"].sort());
});

test("ensureVolumes: emptyDir, configMap items and modes, secret data decoded, missing sources", () => {
  const pod = Pod.parse({
    metadata: { name: "p", namespace: "ns", uid: "u" },
    spec: {
      containers: [{ name: "c", image: "i" }],
      volumes: [
        { name: "scratch", emptyDir: {} },
        { name: "cfg", configMap: { name: "cfg", items: [{ key: "k", path: "sub/renamed" }] } },
        { name: "sec", secret: { secretName: "s", defaultMode: 0o400 } },
        { name: "opt", configMap: { name: "absent", optional: true } },
      ],
    },
  });
  const sources = {
    configMaps: new Map([["ns/cfg", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg" }, data: { k: "v", other: "x" } }]]),
    secrets: new Map([["ns/s", { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { pw: Buffer.from("hunter2").toString("base64") } }]]),
  };
  const dirs = ensureVolumes(pod, join(dir, "pod"), sources);
  expect(statSync(dirs.get("scratch")!).isDirectory()).toBe(true);
  expect(readFileSync(join(dirs.get("cfg")!, "sub/renamed"), "utf8")).toBe("v");
  expect(readdirSync(dirs.get("cfg")!).filter((f) => !f.startsWith(".."))).toEqual(["sub"]);
  expect(readFileSync(join(dirs.get("sec")!, "pw"), "utf8")).toBe("hunter2");
  expect(statSync(join(dirs.get("sec")!, "pw")).mode & 0o777).toBe(0o400);
  expect(readdirSync(dirs.get("opt")!).filter((f) => !f.startsWith(".."))).toEqual([]);
  sources.configMaps.clear();
  expect(() => ensureVolumes(pod, join(dir, "pod"), sources)).toThrow(ConfigError);
  expect(() => ensureVolumes(pod, join(dir, "pod"), sources)).toThrow('configmap "cfg" not found');
});
