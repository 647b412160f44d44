// ConfigMap and Secret. Secret values are base64 as on the wire; stringData is
// a write-only convenience merged into data at admission and then dropped,
// exactly as the Kubernetes API server does.

import { z } from "zod";
import { ObjectMeta, StringMap, orEmpty, typeMeta } from "./meta.ts";

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64, as Go's encoding/json reads []byte (it skips CR and LF). */
export function isBase64(s: string): boolean {
  return BASE64_RE.test(s.replace(/[\r\n]/g, ""));
}

export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function decodeBase64(s: string): Uint8Array {
  const binary = atob(s.replace(/[\r\n]/g, ""));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

const Base64Map = z.record(z.string(), z.string().refine(isBase64, { message: "illegal base64 data" }));

export const ConfigMap = z.looseObject({
  ...typeMeta("ConfigMap"),
  metadata: orEmpty(ObjectMeta),
  data: StringMap.optional(),
  binaryData: Base64Map.optional(),
  immutable: z.boolean().optional(),
});
export type ConfigMap = z.infer<typeof ConfigMap>;

export const SECRET_TYPES = {
  Opaque: "Opaque",
  ServiceAccountToken: "kubernetes.io/service-account-token",
  DockerConfigJson: "kubernetes.io/dockerconfigjson",
  DockerConfig: "kubernetes.io/dockercfg",
  BasicAuth: "kubernetes.io/basic-auth",
  SSHAuth: "kubernetes.io/ssh-auth",
  TLS: "kubernetes.io/tls",
} as const;

export const Secret = z
  .looseObject({
    ...typeMeta("Secret"),
    metadata: orEmpty(ObjectMeta),
    data: Base64Map.optional(),
    stringData: StringMap.optional(),
    type: z.string().default(SECRET_TYPES.Opaque),
    immutable: z.boolean().optional(),
  })
  .overwrite((secret) => {
    if (secret.type === "") secret.type = SECRET_TYPES.Opaque;
    if (secret.stringData !== undefined) {
      const data = (secret.data ??= {});
      const utf8 = new TextEncoder();
      for (const [k, v] of Object.entries(secret.stringData)) data[k] = encodeBase64(utf8.encode(v));
      delete secret.stringData;
    }
    return secret;
  });
export type Secret = z.infer<typeof Secret>;
