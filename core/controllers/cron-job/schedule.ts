// CronJob schedules: what Kubernetes accepts (5 fields, the @yearly ...
// @hourly descriptors, @every <duration>) read in an IANA time zone, plus a
// tug extension: 6 fields with seconds first, so a schedule can run every
// few seconds (Kubernetes refuses 6 fields). Computation only: croner is used
// for its next/previous-run arithmetic and never schedules anything itself
// (no callback is passed, so it arms no timer).
//
// Daylight saving follows croner (as Vixie cron does): a fixed time inside a
// spring-forward gap runs at the first valid time after it, a fixed time that
// occurs twice at fall-back runs once, and interval schedules run on both
// occurrences. Kubernetes' robfig/cron skips times inside a gap instead.

import { Cron } from "croner";

export interface Schedule {
  /** The first activation strictly after `ms`, or undefined when there is none. */
  next(ms: number): number | undefined;
  /** The latest activation in (afterMs, atMs], or undefined. */
  latest(afterMs: number, atMs: number): number | undefined;
  /** Activations may be under a minute apart, so Job names carry seconds instead of minutes. */
  readonly subMinute: boolean;
}

export type ParsedSchedule = { ok: true; schedule: Schedule } | { ok: false; message: string };

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const DURATION_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("1h30m", "90s", "1.5h") in ms, or undefined. */
export function parseGoDuration(text: string): number | undefined {
  if (text === "0") return 0;
  const re = /([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m || m[1] === "" || m[1] === ".") return undefined;
    total += Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
    at = re.lastIndex;
  }
  return at > 0 ? total : undefined;
}

/** robfig's @every: at least a second, whole seconds, counted from the second before the reference. */
function everySchedule(delayMs: number): Schedule {
  const d = Math.max(1000, Math.floor(delayMs / 1000) * 1000);
  const floorS = (ms: number) => Math.floor(ms / 1000) * 1000;
  return {
    next: (ms) => floorS(ms) + d,
    latest: (afterMs, atMs) => {
      const base = floorS(afterMs);
      const k = Math.floor((atMs - base) / d);
      return k >= 1 ? base + k * d : undefined;
    },
    subMinute: d % 60_000 !== 0,
  };
}

function cronSchedule(cron: Cron, subMinute: boolean): Schedule {
  return {
    next: (ms) => cron.nextRun(new Date(ms))?.getTime(),
    latest: (afterMs, atMs) => {
      // previousRuns looks strictly before its reference.
      const t = cron.previousRuns(1, new Date(atMs + 1))[0]?.getTime();
      return t !== undefined && t > afterMs ? t : undefined;
    },
    subMinute,
  };
}

/** Parses `expr` for `timeZone`, which the caller has checked with isValidTimeZone. */
export function parseSchedule(expr: string, timeZone: string): ParsedSchedule {
  const text = expr.trim();
  if (/^@every\s/.test(text)) {
    const ms = parseGoDuration(text.slice("@every".length).trim());
    return ms === undefined ? { ok: false, message: `failed to parse duration ${text}` } : { ok: true, schedule: everySchedule(ms) };
  }
  const pattern = text.startsWith("@") ? DESCRIPTORS[text.toLowerCase()] : text;
  if (pattern === undefined) return { ok: false, message: `unrecognized descriptor: ${text}` };
  const fields = pattern.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return { ok: false, message: `expected exactly 5 fields (or 6 with seconds first), found ${fields.length}: ${text}` };
  }
  // croner reads a string with a colon as a one-off date.
  if (pattern.includes(":")) return { ok: false, message: `unexpected character ":" in ${text}` };
  try {
    const cron = new Cron(pattern, { timezone: timeZone, mode: "5-or-6-parts" });
    return { ok: true, schedule: cronSchedule(cron, fields.length === 6) };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}
