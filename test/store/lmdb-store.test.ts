import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "bun:test";
import { LmdbStore } from "../../api/store/lmdb-store.ts";
import type { Store } from "../../core/store/store.ts";
import { runStoreConformance } from "./conformance.ts";

const dirs: string[] = [];
const paths = new WeakMap<Store, { path: string; historyWindow?: number }>();
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

runStoreConformance("lmdb", {
  make: async (opts) => {
    const path = mkdtempSync(join(tmpdir(), "tug-lmdb-"));
    dirs.push(path);
    const store = new LmdbStore({ path, ...opts });
    paths.set(store, { path, ...opts });
    return store;
  },
  reopen: async (store) => {
    const o = paths.get(store)!;
    await store.close();
    const again = new LmdbStore(o);
    paths.set(again, o);
    return again;
  },
});
