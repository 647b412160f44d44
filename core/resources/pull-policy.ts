// Image pull policies and Kubernetes' default rule, apart from the schemas so
// the node agent can use them without loading zod.

export const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;

/**
 * Kubernetes' rule: `Always` when the tag is `latest`, or when there is
 * neither tag nor digest (which means latest); otherwise `IfNotPresent`.
 */
export function defaultPullPolicy(image: string): (typeof PULL_POLICIES)[number] {
  const at = image.indexOf("@");
  const ref = at >= 0 ? image.slice(0, at) : image;
  const colon = ref.lastIndexOf(":");
  const tag = colon > ref.lastIndexOf("/") ? ref.slice(colon + 1) : "";
  if (tag === "latest" || (tag === "" && at < 0 && image !== "")) return "Always";
  return "IfNotPresent";
}
