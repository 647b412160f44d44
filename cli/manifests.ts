// Reads `-f FILE|DIR|-` for apply and delete: multi-document YAML or JSON
// (a JSON List or a `kind: List` spreads into its items), a directory's
// .yaml/.yml/.json files in name order. A YAML error names the file and line.

import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { TugError } from "../core/errors.ts";
import type { KubeObject } from "../core/resources/object.ts";

export interface Manifest {
  object: KubeObject;
  /** The file it came from, for messages (`-` for stdin). */
  source: string;
}

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

function filesOf(path: string): string[] {
  if (path === "-") return ["-"];
  if (!existsSync(path)) throw new TugError("NotFound", `the path "${path}" does not exist`);
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => MANIFEST_EXTENSIONS.test(f))
    .sort()
    .map((f) => join(path, f));
}

/** Parses one file's text into objects. */
export function parseManifests(text: string, source: string): Manifest[] {
  const out: Manifest[] = [];
  const push = (doc: unknown) => {
    if (doc === null || doc === undefined) return;
    if (typeof doc !== "object" || Array.isArray(doc)) throw new TugError("BadRequest", `error validating "${source}": a manifest must be an object`);
    const obj = doc as KubeObject;
    if (typeof obj.kind === "string" && obj.kind.endsWith("List") && Array.isArray(obj.items)) {
      for (const item of obj.items as unknown[]) push(item);
      return;
    }
    if (!obj.apiVersion || !obj.kind) throw new TugError("BadRequest", `error validating "${source}": apiVersion and kind must be set`);
    obj.metadata ??= {};
    out.push({ object: obj, source });
  };
  for (const doc of parseAllDocuments(text, { prettyErrors: true })) {
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      const what = (err.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
      throw new TugError("BadRequest", `error parsing ${source}: ${pos ? `line ${pos.line}, column ${pos.col}: ` : ""}${what}`);
    }
    push(doc.toJS());
  }
  return out;
}

export async function readManifests(paths: readonly string[]): Promise<Manifest[]> {
  if (paths.length === 0) throw new TugError("BadRequest", "must specify -f FILE|DIR|-");
  const out: Manifest[] = [];
  for (const p of paths) {
    for (const file of filesOf(p)) {
      const text = file === "-" ? await Bun.stdin.text() : readFileSync(file, "utf8");
      out.push(...parseManifests(text, file));
    }
  }
  return out;
}
