// The one door to @peculiar/x509. The library uses tsyringe, which needs a
// Reflect metadata polyfill loaded before it; importing x509 through this file
// guarantees that order (ES modules evaluate their imports in source order).

import "reflect-metadata";

export * from "@peculiar/x509";
