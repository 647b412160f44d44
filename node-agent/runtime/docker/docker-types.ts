// The parts of the Docker Engine API v1.41 shapes that the driver reads or
// sends; field names are Docker's. Optional where Docker omits them.

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  /** created | running | paused | restarting | removing | exited | dead */
  State: string;
  Status: string;
  Labels: Record<string, string> | null;
  HostConfig?: { NetworkMode?: string };
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  State: {
    Status: string;
    Running: boolean;
    OOMKilled: boolean;
    Pid: number;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
  };
  Config: { Labels: Record<string, string> | null; Hostname: string };
  HostConfig: { NetworkMode: string; IpcMode: string };
}

export interface ContainerCreateBody {
  Image: string;
  Hostname?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  Labels: Record<string, string>;
  HostConfig: {
    NetworkMode: string;
    IpcMode: string;
    Binds?: string[];
    Memory?: number;
    MemorySwap?: number;
    NanoCpus?: number;
    CpuShares?: number;
    RestartPolicy: { Name: "no" };
    LogConfig: { Type: "json-file"; Config: Record<string, string> };
  };
}

export interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Size: number;
}

export interface ExecInspect {
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
}

export interface StatsOneShot {
  memory_stats?: { usage?: number; stats?: Record<string, number> };
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
}
