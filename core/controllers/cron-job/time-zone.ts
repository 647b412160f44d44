// IANA time zones for CronJobs, through Intl (no tz database of our own):
// whether a name is one, the host's zone, and an instant written as RFC 3339
// in a zone, as Kubernetes writes the scheduled-timestamp annotation.

/**
 * True for a name Intl knows. "Local" is refused as Kubernetes' validation
 * does: a CronJob must not depend on where the controller runs.
 */
export function isValidTimeZone(tz: string): boolean {
  if (!tz.trim() || tz.toLowerCase() === "local") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The zone of this process (Kubernetes reads schedules without timeZone in the controller's local zone). */
export function hostTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** `ms` as RFC 3339 with second precision in `tz`: "2024-03-10T03:00:00-04:00", or "...Z" at offset zero. */
export function formatInZone(ms: number, tz: string): string {
  const whole = Math.floor(ms / 1000) * 1000;
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const part = (type: string) => Number(fmt.formatToParts(whole).find((p) => p.type === type)?.value ?? 0);
  const [y, mo, d, h, mi, s] = ["year", "month", "day", "hour", "minute", "second"].map(part) as [number, number, number, number, number, number];
  const offsetMin = Math.round((Date.UTC(y, mo - 1, d, h, mi, s) - whole) / 60_000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const wall = `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}`;
  if (offsetMin === 0) return `${wall}Z`;
  const abs = Math.abs(offsetMin);
  return `${wall}${offsetMin < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
