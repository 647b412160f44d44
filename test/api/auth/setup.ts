// A real Registry over the in-memory store, with the system namespaces, for
// the auth tests; optionally an informer as the token store's cache.

import { ensureSystemNamespaces } from "../../../api/bootstrap.ts";
import { TokenStore } from "../../../api/auth/token-store.ts";
import { Informer } from "../../../core/informer/informer.ts";
import { Registry } from "../../../core/registry/registry.ts";
import { MemoryStore } from "../../../core/store/memory-store.ts";

export interface AuthFixture {
  registry: Registry;
  store: MemoryStore;
  tokens: TokenStore;
  stop(): void;
}

export async function authFixture(opts: { withCache?: boolean } = {}): Promise<AuthFixture> {
  const store = new MemoryStore();
  const registry = new Registry(store);
  await ensureSystemNamespaces(registry);
  const informer = opts.withCache ? new Informer(store, ["Secret"]) : undefined;
  await informer?.start();
  const tokens = new TokenStore({ registry, cache: informer });
  return { registry, store, tokens, stop: () => informer?.stop() };
}
