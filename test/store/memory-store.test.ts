import { MemoryStore } from "../../core/store/memory-store.ts";
import { runStoreConformance } from "./conformance.ts";

runStoreConformance("memory", { make: async (opts) => new MemoryStore(opts) });
