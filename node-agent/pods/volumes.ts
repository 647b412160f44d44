// A pod's volumes on the host, under <pod dir>/volumes: emptyDir folders,
// hostPath checks, and configMap/secret folders written the way kubelet's
// atomic writer does (files are links into a `..data` link that is swapped in
// one rename), so a container sees an update all at once.

import { chmodSync, existsSync, mkdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, readdirSync, lstatSync, openSync, closeSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { KubeObject } from "../../core/resources/object.ts";
import type { Pod } from "../../core/resources/pod.ts";
import { ConfigError, dataOf } from "./container-config.ts";

export interface VolumeSources {
  configMaps: Map<string, KubeObject>;
  secrets: Map<string, KubeObject>;
}

/** Creates or refreshes every volume of `pod`; returns each volume's host folder. Throws ConfigError for a missing source. */
export function ensureVolumes(pod: Pod, podDir: string, sources: VolumeSources): Map<string, string> {
  const ns = pod.metadata.namespace ?? "default";
  const dirs = new Map<string, string>();
  for (const v of pod.spec.volumes ?? []) {
    if (v.emptyDir) {
      const dir = join(podDir, "volumes", "empty-dir", v.name);
      mkdirSync(dir, { recursive: true });
      dirs.set(v.name, dir);
    } else if (v.hostPath) {
      dirs.set(v.name, ensureHostPath(v.hostPath.path, v.hostPath.type ?? ""));
    } else if (v.configMap || v.secret) {
      const isSecret = !!v.secret;
      const src = (v.configMap ?? v.secret)!;
      const name = v.configMap ? v.configMap.name : v.secret!.secretName;
      const obj = (isSecret ? sources.secrets : sources.configMaps).get(`${ns}/${name ?? ""}`);
      const dir = join(podDir, "volumes", isSecret ? "secret" : "configmap", v.name);
      if (!obj && !src.optional) throw new ConfigError(`${isSecret ? "secret" : "configmap"} "${name ?? ""}" not found`);
      const data = obj ? dataOf(obj, isSecret) : {};
      const files = new Map<string, { content: string; mode: number }>();
      const mode = src.defaultMode ?? 0o644;
      if (src.items) {
        for (const item of src.items) {
          if (data[item.key] === undefined) {
            if (src.optional) continue;
            throw new ConfigError(`couldn't find key ${item.key} in ${isSecret ? "secret" : "configmap"} ${ns}/${name ?? ""}`);
          }
          files.set(item.path, { content: data[item.key]!, mode: item.mode ?? mode });
        }
      } else {
        for (const [k, content] of Object.entries(data)) files.set(k, { content, mode });
      }
      writeAtomically(dir, files);
      dirs.set(v.name, dir);
    }
  }
  return dirs;
}

function ensureHostPath(path: string, type: string): string {
  switch (type) {
    case "DirectoryOrCreate":
      mkdirSync(path, { recursive: true, mode: 0o755 });
      break;
    case "FileOrCreate":
      if (!existsSync(path)) {
        mkdirSync(dirname(path), { recursive: true });
        closeSync(openSync(path, "a", 0o644));
      }
      break;
    case "Directory":
    case "File":
      if (!existsSync(path)) throw new ConfigError(`hostPath ${path} does not exist`);
      if (type === "Directory" && !statSync(path).isDirectory()) throw new ConfigError(`hostPath ${path} is not a directory`);
      if (type === "File" && !statSync(path).isFile()) throw new ConfigError(`hostPath ${path} is not a file`);
      break;
    default:
      // "" = no check, as in Kubernetes; Socket/CharDevice/BlockDevice need the path to exist.
      if (type && !existsSync(path)) throw new ConfigError(`hostPath ${path} does not exist`);
  }
  return path;
}

/** Writes `files` into `dir` through a fresh timestamped folder and one rename of `..data`; a no-op when nothing changed. */
export function writeAtomically(dir: string, files: Map<string, { content: string; mode: number }>): void {
  mkdirSync(dir, { recursive: true });
  const dataLink = join(dir, "..data");
  const current = existsSync(dataLink) ? join(dir, readlinkSync(dataLink)) : undefined;
  if (current && sameContent(current, files)) return;
  const stamp = `..${new Date().toISOString().replace(/[:.]/g, "_")}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
  const fresh = join(dir, stamp);
  mkdirSync(fresh);
  for (const [path, f] of files) {
    const abs = join(fresh, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, f.content);
    chmodSync(abs, f.mode);
  }
  const tmpLink = join(dir, "..data_tmp");
  rmSync(tmpLink, { force: true });
  symlinkSync(stamp, tmpLink);
  renameSync(tmpLink, dataLink);
  // Top-level names point through ..data; stale names and the old folder go.
  const tops = new Set([...files.keys()].map((p) => p.split("/")[0]!));
  for (const top of tops) {
    const link = join(dir, top);
    if (!existsSync(link) && !isLink(link)) symlinkSync(join("..data", top), link);
  }
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith("..")) {
      if (entry !== "..data" && entry !== stamp) rmSync(join(dir, entry), { recursive: true, force: true });
    } else if (!tops.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function sameContent(dir: string, files: Map<string, { content: string; mode: number }>): boolean {
  const seen = listFiles(dir);
  if (seen.length !== files.size) return false;
  for (const [path, f] of files) {
    const abs = join(dir, path);
    if (!existsSync(abs)) return false;
    if ((statSync(abs).mode & 0o777) !== f.mode) return false;
    if (readFileSync(abs, "utf8") !== f.content) return false;
  }
  return true;
}

function listFiles(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}
