// The pure half of usage metrics: parsing /proc/stat and /proc/meminfo,
// turning two cumulative samples into a rate, and writing figures as the
// Kubernetes quantities metrics.k8s.io carries ("123456789n", "123456Ki").

/** Cumulative CPU time of the whole machine, in jiffies (USER_HZ ticks). */
export interface ProcStatSample {
  busy: number;
  total: number;
  /** Number of CPUs (the cpuN lines). */
  cpus: number;
}

/** The aggregate `cpu` line of /proc/stat; idle and iowait count as idle, guest time is already in user/nice. */
export function parseProcStat(text: string): ProcStatSample | undefined {
  let sample: { busy: number; total: number } | undefined;
  let cpus = 0;
  for (const line of text.split("\n")) {
    if (/^cpu\d+\s/.test(line)) cpus++;
    if (!line.startsWith("cpu ")) continue;
    // user nice system idle iowait irq softirq steal guest guest_nice
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (f.length < 4 || f.some((n) => !Number.isFinite(n))) return undefined;
    const total = f.reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    sample = { busy: total - idle, total };
  }
  return sample && { ...sample, cpus: Math.max(cpus, 1) };
}

/** CPU cores in use between two /proc/stat samples, in nanocores (busy share of all ticks times the CPU count). */
export function nodeCpuNanocores(prev: ProcStatSample, cur: ProcStatSample): number {
  const total = cur.total - prev.total;
  const busy = cur.busy - prev.busy;
  if (total <= 0 || busy < 0) return 0;
  return Math.round((busy / total) * cur.cpus * 1e9);
}

/** The node's working set as metrics-server reports it: MemTotal - MemAvailable, in bytes. */
export function parseMemInfoWorkingSet(text: string): number | undefined {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const total = kb("MemTotal");
  const available = kb("MemAvailable");
  if (total === undefined || available === undefined) return undefined;
  return Math.max(0, total - available) * 1024;
}

/** A cumulative CPU counter (ns) at a moment (ms). */
export interface CpuCounter {
  cpuNanos: number;
  atMs: number;
}

/** The rate between two readings of a cumulative CPU counter, in nanocores; 0 when the counter went back (a restart). */
export function cpuRateNanocores(prev: CpuCounter, cur: CpuCounter): number {
  const elapsedMs = cur.atMs - prev.atMs;
  const used = cur.cpuNanos - prev.cpuNanos;
  if (elapsedMs <= 0 || used < 0) return 0;
  return Math.round((used / elapsedMs) * 1000);
}

/** Nanocores as a quantity: "123456789n" ("0" for none). */
export function cpuQuantity(nanocores: number): string {
  const n = Math.max(0, Math.round(nanocores));
  return n === 0 ? "0" : `${n}n`;
}

/** Bytes as a quantity in Ki, as the kubelet's summary API gives them: "123456Ki" ("0" for none). */
export function memoryQuantity(bytes: number): string {
  const ki = Math.max(0, Math.round(bytes / 1024));
  return ki === 0 ? "0" : `${ki}Ki`;
}

/** A window in ms as a Go duration string: 10000 -> "10s", 10500 -> "10.5s". */
export function windowDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms)) / 1000;
  return `${Number(s.toFixed(3))}s`;
}
