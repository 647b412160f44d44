// What tables show, computed as kubectl computes it: pod STATUS and READY,
// restarts, ages like "5m", and each workload kind's ready columns. Also the
// health bucket (ok / progress / fail) the overview counts.

export function age(ts, now = Date.now()) {
  if (!ts) return "<unknown>";
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ""}`;
  if (m < 180) return `${m}m`;
  const hr = Math.floor(m / 60);
  if (hr < 48) return `${hr}h`;
  return `${Math.floor(hr / 24)}d`;
}

/** kubectl's pod STATUS column (printPod). */
export function podStatus(pod) {
  const st = pod.status ?? {};
  let reason = st.reason || st.phase || "Pending";
  const inits = pod.spec?.initContainers ?? [];
  let initializing = false;
  (st.initContainerStatuses ?? []).forEach((c, i) => {
    const t = c.state?.terminated;
    const w = c.state?.waiting;
    if (t && t.exitCode === 0) return;
    initializing = true;
    if (t) reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    else if (w?.reason && w.reason !== "PodInitializing") reason = `Init:${w.reason}`;
    else reason = `Init:${i}/${inits.length}`;
  });
  if (!initializing) {
    let running = false;
    for (const c of [...(st.containerStatuses ?? [])].reverse()) {
      const w = c.state?.waiting;
      const t = c.state?.terminated;
      if (w?.reason) reason = w.reason;
      else if (t?.reason) reason = t.reason;
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (c.ready && c.state?.running) running = true;
    }
    if (reason === "Completed" && running) reason = st.conditions?.some((x) => x.type === "Ready" && x.status === "True") ? "Running" : "NotReady";
  }
  if (pod.metadata.deletionTimestamp) reason = st.reason === "NodeLost" ? "Unknown" : "Terminating";
  return reason;
}

export function podReady(pod) {
  const total = pod.spec?.containers?.length ?? 0;
  const ready = (pod.status?.containerStatuses ?? []).filter((c) => c.ready).length;
  return `${ready}/${total}`;
}

export function podRestarts(pod) {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

export function podHealth(pod) {
  const s = podStatus(pod);
  if (s === "Running") return podReady(pod).split("/").every((x, _, a) => x === a[0]) ? "ok" : "progress";
  if (s === "Completed" || s === "Succeeded") return "ok";
  if (/Pending|ContainerCreating|Init:\d|PodInitializing|Terminating/.test(s)) return "progress";
  return "fail";
}

/** The kinds the Workloads page lists, with kubectl's columns for each. */
export const KINDS = {
  Deployment: {
    list: "deployments",
    path: (ns, n) => `/apis/apps/v1/namespaces/${ns}/deployments/${n}`,
    headers: ["READY", "UP-TO-DATE", "AVAILABLE"],
    cells: (d) => [`${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`, d.status?.updatedReplicas ?? 0, d.status?.availableReplicas ?? 0],
    health: (d) => ((d.status?.availableReplicas ?? 0) >= (d.spec?.replicas ?? 1) && (d.status?.updatedReplicas ?? 0) >= (d.spec?.replicas ?? 1) ? "ok" : condFalse(d, "Progressing") ? "fail" : "progress"),
    scalable: true,
    restartable: true,
  },
  DaemonSet: {
    list: "daemonsets",
    path: (ns, n) => `/apis/apps/v1/namespaces/${ns}/daemonsets/${n}`,
    headers: ["DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE"],
    cells: (d) => [d.status?.desiredNumberScheduled ?? 0, d.status?.currentNumberScheduled ?? 0, d.status?.numberReady ?? 0, d.status?.updatedNumberScheduled ?? 0, d.status?.numberAvailable ?? 0],
    health: (d) => ((d.status?.numberAvailable ?? 0) >= (d.status?.desiredNumberScheduled ?? 0) ? "ok" : "progress"),
    restartable: true,
  },
  StatefulSet: {
    list: "statefulsets",
    path: (ns, n) => `/apis/apps/v1/namespaces/${ns}/statefulsets/${n}`,
    headers: ["READY"],
    cells: (d) => [`${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`],
    health: (d) => ((d.status?.readyReplicas ?? 0) >= (d.spec?.replicas ?? 1) ? "ok" : "progress"),
    scalable: true,
    restartable: true,
  },
  Job: {
    list: "jobs",
    path: (ns, n) => `/apis/batch/v1/namespaces/${ns}/jobs/${n}`,
    headers: ["STATUS", "COMPLETIONS", "DURATION"],
    cells: (j) => [jobStatus(j), `${j.status?.succeeded ?? 0}/${j.spec?.completions ?? 1}`, j.status?.startTime ? age(j.status.startTime, j.status.completionTime ? Date.parse(j.status.completionTime) : Date.now()) : ""],
    health: (j) => ({ Complete: "ok", Failed: "fail" })[jobStatus(j)] ?? "progress",
  },
  CronJob: {
    list: "cronjobs",
    path: (ns, n) => `/apis/batch/v1/namespaces/${ns}/cronjobs/${n}`,
    headers: ["SCHEDULE", "SUSPEND", "ACTIVE", "LAST SCHEDULE"],
    cells: (c) => [c.spec?.schedule ?? "", String(!!c.spec?.suspend), (c.status?.active ?? []).length, c.status?.lastScheduleTime ? age(c.status.lastScheduleTime) : "<none>"],
    health: () => "ok",
  },
  Pod: {
    list: "pods",
    path: (ns, n) => `/api/v1/namespaces/${ns}/pods/${n}`,
    headers: ["READY", "STATUS", "RESTARTS", "NODE"],
    cells: (p) => [podReady(p), podStatus(p), podRestarts(p), p.spec?.nodeName ?? "<none>"],
    health: podHealth,
  },
};

function condFalse(o, type) {
  return (o.status?.conditions ?? []).some((c) => c.type === type && c.status === "False");
}

export function jobStatus(j) {
  const c = j.status?.conditions ?? [];
  if (c.some((x) => x.type === "Complete" && x.status === "True")) return "Complete";
  if (c.some((x) => x.type === "Failed" && x.status === "True")) return "Failed";
  if (j.metadata.deletionTimestamp) return "Terminating";
  if (c.some((x) => x.type === "Suspended" && x.status === "True")) return "Suspended";
  return "Running";
}

export const TONE = { ok: "ok", progress: "warn", fail: "bad" };

/** Parses a Kubernetes quantity ("500m", "2Gi", "1e3") to a number of base units. */
export function quantity(q) {
  if (q === undefined || q === null) return undefined;
  const m = /^([+-]?[\d.]+(?:e[+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(String(q).trim());
  if (!m) return undefined;
  const mult = { n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 }[m[2] ?? ""] ?? 1;
  return Number(m[1]) * mult;
}

export function bytes(n) {
  if (n === undefined) return "?";
  const units = ["B", "Ki", "Mi", "Gi", "Ti"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 10 || i === 0 ? n.toFixed(0) : n.toFixed(1)}${units[i]}`;
}

/** Equality-based label selector, as typed by a person: "app=web,tier!=db,env". */
export function matchesSelector(labels, text) {
  const parts = text.split(",").map((s) => s.trim()).filter(Boolean);
  return parts.every((p) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(p);
    if (!m) return p.startsWith("!") ? !(p.slice(1) in (labels ?? {})) : p in (labels ?? {});
    const v = labels?.[m[1]];
    return m[2] === "!=" ? v !== m[3] : v === m[3];
  });
}
