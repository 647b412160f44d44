// Who is making a request, as the authenticators hand it to the authorizers
// (Kubernetes' user.Info), and the well-known user and group names.

export interface UserInfo {
  name: string;
  groups: string[];
  uid?: string;
}

/** Members may do anything; RBAC is not consulted (the admin token's group). */
export const SYSTEM_MASTERS = "system:masters";
/** Every node credential; the node authorizer decides what they may do. */
export const SYSTEM_NODES = "system:nodes";
export const SYSTEM_AUTHENTICATED = "system:authenticated";
export const SYSTEM_UNAUTHENTICATED = "system:unauthenticated";
export const SYSTEM_SERVICE_ACCOUNTS = "system:serviceaccounts";

const NODE_PREFIX = "system:node:";
const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

/** `system:node:<name>`, the user name of a node credential. */
export function nodeUserName(node: string): string {
  return `${NODE_PREFIX}${node}`;
}

export function nodeUser(node: string): UserInfo {
  return { name: nodeUserName(node), groups: [SYSTEM_NODES, SYSTEM_AUTHENTICATED] };
}

/** The node a user name belongs to, or undefined when it is not a node's. */
export function nodeNameOf(userName: string): string | undefined {
  if (!userName.startsWith(NODE_PREFIX)) return undefined;
  const node = userName.slice(NODE_PREFIX.length);
  return node || undefined;
}

/** `system:serviceaccount:<ns>:<name>`. */
export function serviceAccountUserName(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`;
}

export function serviceAccountUser(namespace: string, name: string, uid?: string): UserInfo {
  const user: UserInfo = {
    name: serviceAccountUserName(namespace, name),
    groups: [SYSTEM_SERVICE_ACCOUNTS, `${SYSTEM_SERVICE_ACCOUNTS}:${namespace}`, SYSTEM_AUTHENTICATED],
  };
  if (uid !== undefined) user.uid = uid;
  return user;
}

/** The namespace and name of a service account user, or undefined for other users. */
export function serviceAccountOf(userName: string): { namespace: string; name: string } | undefined {
  if (!userName.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const [namespace, name, ...rest] = userName.slice(SERVICE_ACCOUNT_PREFIX.length).split(":");
  if (!namespace || !name || rest.length) return undefined;
  return { namespace, name };
}
