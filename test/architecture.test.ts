// The import rules of DESIGN.md's layout table, checked on the source: who
// may import whom, that core/ does no I/O, and that there are no cycles.

import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const FOLDERS = ["core", "api", "node-agent", "ipvs", "cli"] as const;
type Folder = (typeof FOLDERS)[number];

const MAY_IMPORT: Record<Folder, readonly Folder[]> = {
  core: [],
  api: ["core"],
  "node-agent": ["core", "ipvs"],
  ipvs: ["core"],
  cli: ["core", "api", "node-agent", "ipvs"],
};

function sources(dir: string): string[] {
  let out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(sources(p));
    else if (p.endsWith(".ts") && !p.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]!);
}

const files = FOLDERS.flatMap((f) => sources(join(ROOT, f)));
const folderOf = (abs: string) => relative(ROOT, abs).split("/")[0] as Folder;

test("each folder imports only what DESIGN.md allows", () => {
  const bad: string[] = [];
  for (const f of files) {
    const from = folderOf(f);
    for (const spec of imports(f)) {
      if (!spec.startsWith(".")) continue;
      const to = folderOf(resolve(dirname(f), spec));
      if (to !== from && !MAY_IMPORT[from].includes(to)) bad.push(`${relative(ROOT, f)} -> ${spec}`);
    }
  }
  expect(bad).toEqual([]);
});

test("core/ does no I/O", () => {
  const io = /^(node:)?(fs|fs\/promises|net|child_process|dgram|http|https|os)$|^(lmdb|execa|ws|systeminformation|hono)$/;
  const bad: string[] = [];
  for (const f of files.filter((x) => folderOf(x) === "core")) {
    for (const spec of imports(f)) if (io.test(spec)) bad.push(`${relative(ROOT, f)} imports ${spec}`);
    if (/\bBun\.|\bprocess\.(env|argv|exit)/.test(readFileSync(f, "utf8"))) bad.push(`${relative(ROOT, f)} uses Bun.* or process`);
  }
  expect(bad).toEqual([]);
});

test("there are no import cycles", () => {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    graph.set(
      f,
      imports(f)
        .filter((s) => s.startsWith("."))
        .map((s) => resolve(dirname(f), s)),
    );
  }
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (n: string, path: string[]) => {
    if (state.get(n) === "done") return;
    if (state.get(n) === "visiting") {
      cycles.push([...path.slice(path.indexOf(n)), n].map((p) => relative(ROOT, p)).join(" -> "));
      return;
    }
    state.set(n, "visiting");
    for (const m of graph.get(n) ?? []) visit(m, [...path, n]);
    state.set(n, "done");
  };
  for (const f of graph.keys()) visit(f, []);
  expect(cycles).toEqual([]);
});

/** Packages whose run-time import graph from `entry` reaches one of `heavy` (type-only imports are erased, so skipped). */
function heavyImports(entry: string, heavy: RegExp): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  const walk = (file: string, via: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/^\s*(?:import|export)(?!\s+type\b)[^'"]*?from\s+["']([^"']+)["']/gm)) {
      const spec = m[1]!;
      if (spec.startsWith(".")) walk(resolve(dirname(file), spec), [...via, relative(ROOT, file)]);
      else if (heavy.test(spec)) found.push(`${[...via, relative(ROOT, file)].join(" -> ")} -> ${spec}`);
    }
  };
  walk(join(ROOT, entry), []);
  return found;
}

test("the agent's run-time imports stay small: no zod, execa or systeminformation (each costs 12-23 MB RSS under Bun)", () => {
  expect(heavyImports("cli/agent.ts", /^(zod|execa|systeminformation)(\/|$)/)).toEqual([]);
});
