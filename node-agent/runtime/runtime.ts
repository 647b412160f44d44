// The one interface every container runtime driver implements (containerd via
// `ctr`, Docker via its Engine API). The pod worker above it knows nothing of
// either; the conformance suite in test/node-agent/runtime runs against both.
//
// Ownership: every sandbox and container a driver creates carries the labels
// it is given (the agent puts `tug.node=<node>` on all of them); list calls
// filter by label so several agents can share one containerd or Docker.

export const LABEL_NODE = "tug.node";
export const LABEL_POD_UID = "tug.pod.uid";
export const LABEL_POD_NAME = "tug.pod.name";
export const LABEL_POD_NAMESPACE = "tug.pod.namespace";
export const LABEL_CONTAINER = "tug.container";
export const LABEL_ATTEMPT = "tug.attempt";
export const LABEL_SANDBOX = "tug.sandbox";

export type Labels = Record<string, string>;

export interface SandboxSpec {
  /** Unique on the machine, [a-z0-9-], at most 48 chars; also the netns name. */
  id: string;
  hostname: string;
  hostNetwork: boolean;
  labels: Labels;
}

export interface Sandbox {
  id: string;
  /** `/var/run/netns/<id>`: the pod's network namespace, already pinned. Absent for hostNetwork. */
  netnsPath?: string;
  /** Runtime-private handle (Docker: the infra container id). */
  runtimeRef?: string;
  labels: Labels;
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  /** Unique on the machine, [A-Za-z0-9_.-], at most 63 chars. */
  id: string;
  image: string;
  /** Kubernetes semantics: command replaces the image ENTRYPOINT, args its CMD. */
  command?: string[];
  args?: string[];
  /** In order; later entries win. */
  env: { name: string; value: string }[];
  workingDir?: string;
  mounts: Mount[];
  /** Hard memory limit (bytes); the kernel OOM-kills above it. */
  memoryLimitBytes?: number;
  /** CPU limit in millicores -> CFS quota over a 100 ms period. */
  cpuLimitMillis?: number;
  /** Relative CPU weight from the request, in millicores. */
  cpuRequestMillis?: number;
  labels: Labels;
}

export type ContainerStateName = "created" | "running" | "exited" | "unknown";

export interface ContainerState {
  id: string;
  labels: Labels;
  state: ContainerStateName;
  /** Set once exited. */
  exitCode?: number;
  /** True when the kernel OOM-killed the container's main process. */
  oomKilled?: boolean;
  startedAt?: string;
  finishedAt?: string;
  /** Runtime's message about a failed start, when it has one. */
  message?: string;
}

export interface ImageInfo {
  /** Every reference the image is known by (containerd normalizes to docker.io/...). */
  refs: string[];
  id: string;
  sizeBytes: number;
}

export interface LogOptions {
  follow: boolean;
  /** Last N lines only. */
  tailLines?: number;
  timestamps: boolean;
  signal?: AbortSignal;
}

/** Why a runtime call failed, in the words kubelet uses for container waiting/terminated reasons. */
export type RuntimeErrorReason =
  | "ErrImagePull"
  | "ErrImageNeverPull"
  | "ContainerCannotRun"
  | "CreateContainerError"
  | "SandboxError"
  | "RuntimeUnavailable";

export class RuntimeError extends Error {
  constructor(
    readonly reason: RuntimeErrorReason,
    message: string,
    /** The command or request that failed, for the log (never shown to users as a stack). */
    readonly detail?: string,
  ) {
    super(message);
    this.name = "RuntimeError";
  }
}

export interface ContainerRuntime {
  readonly name: "containerd" | "docker";

  /** `containerd://1.6.20` / `docker://20.10.24`. Throws RuntimeError(RuntimeUnavailable) when the daemon is not reachable. */
  version(): Promise<string>;

  // Images
  /** True when `ref` is present locally (matching normalized and short forms). */
  hasImage(ref: string): Promise<boolean>;
  /** Pull from a registry; RuntimeError(ErrImagePull, runtime's message) on failure. */
  pullImage(ref: string): Promise<void>;
  /** Import a docker-archive / OCI tar; returns the references it brought. */
  importImage(tarPath: string): Promise<string[]>;
  listImages(): Promise<ImageInfo[]>;
  /** Idempotent; refuses (throws) while a container uses it. */
  removeImage(ref: string): Promise<void>;

  // Sandboxes (the pod's network namespace holder)
  /** Idempotent per id: returns the existing one when it is there. */
  createSandbox(spec: SandboxSpec): Promise<Sandbox>;
  /** Stop and remove; idempotent. The caller has already run CNI DEL. */
  removeSandbox(id: string): Promise<void>;
  listSandboxes(labels: Labels): Promise<Sandbox[]>;

  // Containers
  /**
   * Create and start a container in the sandbox's namespaces, logging to `logPath`
   * (the driver may keep logs elsewhere; `logs()` reads them). Throws
   * RuntimeError(ContainerCannotRun | CreateContainerError) with the runtime's
   * message, and leaves nothing behind on failure.
   */
  startContainer(sandbox: Sandbox, spec: ContainerSpec, logPath: string): Promise<void>;
  /** SIGTERM, then SIGKILL after graceSeconds. Idempotent on an exited container. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** Idempotent; stops first (SIGKILL) when still running. */
  removeContainer(id: string): Promise<void>;
  /** Every container whose labels include all of `labels`. */
  listContainers(labels: Labels): Promise<ContainerState[]>;
  /** Run a command in a running container (probes). */
  exec(id: string, argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }>;
  /** Lines of the container's output, each ending in "\n"; with timestamps each starts "RFC3339Nano ". */
  logs(id: string, logPath: string, opts: LogOptions): AsyncIterable<string>;
  /** Memory (bytes) and cumulative CPU (ns) of a running container, for `top`. */
  stats(id: string): Promise<{ memoryBytes: number; cpuNanos: number } | undefined>;

  /** Stop background work (event listeners). */
  close(): Promise<void>;
}
