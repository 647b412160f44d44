// Schedule arithmetic as tables: next runs across time zones and daylight
// saving, the latest run before a time, missed runs and the starting
// deadline, Job names, and time zone formatting.

import { describe, expect, test } from "bun:test";
import { parseGoDuration, parseSchedule, type Schedule } from "../../core/controllers/cron-job/schedule.ts";
import { earliestScheduleTime, scheduledJobName, unmetScheduleTime } from "../../core/controllers/cron-job/schedule-times.ts";
import { formatInZone, isValidTimeZone } from "../../core/controllers/cron-job/time-zone.ts";

const iso = (ms: number | undefined) => (ms === undefined ? "none" : new Date(ms).toISOString().replace(".000Z", "Z"));
const at = (s: string) => Date.parse(s);

function sched(expr: string, tz = "UTC"): Schedule {
  const p = parseSchedule(expr, tz);
  if (!p.ok) throw new Error(p.message);
  return p.schedule;
}

function nextRuns(s: Schedule, from: number, n: number): string[] {
  const out: string[] = [];
  let t: number | undefined = from;
  for (let i = 0; i < n && t !== undefined; i++) {
    t = s.next(t);
    out.push(iso(t));
  }
  return out;
}

describe("next runs", () => {
  const table: [string, string, string, string[]][] = [
    ["*/15 * * * *", "UTC", "2024-01-01T00:07:00Z", ["2024-01-01T00:15:00Z", "2024-01-01T00:30:00Z", "2024-01-01T00:45:00Z"]],
    ["*/15 * * * *", "UTC", "2024-01-01T00:15:00Z", ["2024-01-01T00:30:00Z", "2024-01-01T00:45:00Z", "2024-01-01T01:00:00Z"]],
    ["0 9 * * *", "Asia/Kolkata", "2024-01-01T00:00:00Z", ["2024-01-01T03:30:00Z", "2024-01-02T03:30:00Z", "2024-01-03T03:30:00Z"]],
    ["0 9 * * 1-5", "Europe/Berlin", "2024-01-05T12:00:00Z", ["2024-01-08T08:00:00Z", "2024-01-09T08:00:00Z", "2024-01-10T08:00:00Z"]],
    ["0 0 * * *", "Europe/Berlin", "2024-03-30T12:00:00Z", ["2024-03-30T23:00:00Z", "2024-03-31T22:00:00Z", "2024-04-01T22:00:00Z"]],
    // Spring forward in New York: 02:30 does not exist on 2024-03-10; it runs at 03:00 EDT.
    ["30 2 * * *", "America/New_York", "2024-03-09T12:00:00Z", ["2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z", "2024-03-12T06:30:00Z"]],
    // Fall back: 01:30 happens twice on 2024-11-03; a fixed-time schedule runs once.
    ["30 1 * * *", "America/New_York", "2024-11-02T12:00:00Z", ["2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z", "2024-11-05T06:30:00Z"]],
    // An interval schedule runs in both 01:xx hours.
    ["*/30 1 * * *", "America/New_York", "2024-11-03T04:00:00Z", ["2024-11-03T05:00:00Z", "2024-11-03T05:30:00Z", "2024-11-03T06:00:00Z", "2024-11-03T06:30:00Z", "2024-11-04T06:00:00Z"]],
    // Day of month and day of week both set: either matches (Vixie cron, robfig/cron).
    ["0 0 13 * 5", "UTC", "2024-09-01T00:00:00Z", ["2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z"]],
    ["0 12 29 2 *", "UTC", "2025-01-01T00:00:00Z", ["2028-02-29T12:00:00Z"]],
    ["@hourly", "UTC", "2024-01-01T00:59:59Z", ["2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z"]],
    ["@weekly", "UTC", "2024-01-01T00:00:00Z", ["2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z"]],
    ["@every 90s", "UTC", "2024-01-01T00:00:00.500Z", ["2024-01-01T00:01:30Z", "2024-01-01T00:03:00Z", "2024-01-01T00:04:30Z"]],
    ["@every 1h30m", "UTC", "2024-01-01T00:00:00Z", ["2024-01-01T01:30:00Z", "2024-01-01T03:00:00Z"]],
    // tug's 6-field extension: seconds first.
    ["*/2 * * * * *", "UTC", "2024-01-01T00:00:01.500Z", ["2024-01-01T00:00:02Z", "2024-01-01T00:00:04Z", "2024-01-01T00:00:06Z"]],
    ["0 0 31 2 *", "UTC", "2024-01-01T00:00:00Z", ["none"]],
  ];
  for (const [expr, tz, from, want] of table) {
    test(`${expr} in ${tz} after ${from}`, () => {
      expect(nextRuns(sched(expr, tz), at(from), want.length)).toEqual(want);
    });
  }
});

describe("unparseable schedules", () => {
  const bad = ["61 * * * *", "* * * *", "* * * * * * *", "@reboot", "@fortnightly", "@every 5x", "@every", "0 12:30 * * *", "* * 32 * *", "*/0 * * * *"];
  for (const expr of bad) {
    test(expr, () => {
      expect(parseSchedule(expr, "UTC").ok).toBe(false);
    });
  }

  test("Job names carry seconds only for sub-minute schedules", () => {
    expect([sched("* * * * *").subMinute, sched("*/5 * * * * *").subMinute, sched("@every 2m").subMinute, sched("@every 45s").subMinute]).toEqual([false, true, false, true]);
  });

  const durations: [string, number | undefined][] = [["90s", 90_000], ["1h30m", 5_400_000], ["1.5h", 5_400_000], ["500ms", 500], ["0", 0], ["", undefined], ["5", undefined], ["m", undefined]];
  for (const [text, ms] of durations) test(`duration "${text}"`, () => expect(parseGoDuration(text)).toBe(ms));
});

describe("latest run in (after, at]", () => {
  const table: [string, string, string, string][] = [
    ["*/5 * * * *", "2024-01-01T00:00:00Z", "2024-01-01T00:12:00Z", "2024-01-01T00:10:00Z"],
    ["*/5 * * * *", "2024-01-01T00:00:00Z", "2024-01-01T00:10:00Z", "2024-01-01T00:10:00Z"],
    ["*/5 * * * *", "2024-01-01T00:10:00Z", "2024-01-01T00:12:00Z", "none"],
    ["@every 1m", "2024-01-01T00:00:00.700Z", "2024-01-01T00:05:30Z", "2024-01-01T00:05:00Z"],
  ];
  for (const [expr, after, atTime, want] of table) {
    test(`${expr}: (${after}, ${atTime}]`, () => expect(iso(sched(expr).latest(at(after), at(atTime)))).toBe(want));
  }
});

describe("unmet schedule times", () => {
  const table: [string, string, string, string, number][] = [
    ["* * * * *", "2024-01-01T00:00:00Z", "2024-01-01T00:00:30Z", "none", 0],
    ["* * * * *", "2024-01-01T00:00:00Z", "2024-01-01T00:03:30Z", "2024-01-01T00:03:00Z", 3],
    ["*/5 * * * *", "2024-01-01T00:05:00Z", "2024-01-01T00:05:00Z", "none", 0],
    // Five days of minutes: counted up to 101, the latest found directly.
    ["* * * * *", "2024-01-01T00:00:00Z", "2024-01-06T07:42:10Z", "2024-01-06T07:42:00Z", 101],
    ["@every 1s", "2024-01-01T00:00:00Z", "2024-01-01T00:10:00.300Z", "2024-01-01T00:10:00Z", 101],
  ];
  for (const [expr, earliest, now, want, missed] of table) {
    test(`${expr} from ${earliest} at ${now}`, () => {
      const r = unmetScheduleTime(sched(expr), at(earliest), at(now));
      expect([iso(r.mostRecent), r.missed]).toEqual([want, missed]);
    });
  }

  const now = at("2024-01-01T01:00:00Z");
  const earliest: [string, Parameters<typeof earliestScheduleTime>[0], string][] = [
    ["from creation", { creationTimestamp: "2024-01-01T00:00:00Z", now }, "2024-01-01T00:00:00Z"],
    ["from the last scheduled time", { creationTimestamp: "2024-01-01T00:00:00Z", lastScheduleTime: "2024-01-01T00:30:00Z", now }, "2024-01-01T00:30:00Z"],
    ["no further back than the starting deadline", { lastScheduleTime: "2024-01-01T00:30:00Z", startingDeadlineSeconds: 60, now }, "2024-01-01T00:59:00Z"],
    ["a deadline wider than the gap changes nothing", { lastScheduleTime: "2024-01-01T00:30:00Z", startingDeadlineSeconds: 3600, now }, "2024-01-01T00:30:00Z"],
  ];
  for (const [name, input, want] of earliest) test(name, () => expect(iso(earliestScheduleTime(input))).toBe(want));
});

describe("names and zones", () => {
  test("Job names: minutes since the epoch, seconds for sub-minute schedules", () => {
    const t = at("2024-01-01T00:05:02Z");
    expect(scheduledJobName("backup", t, false)).toBe("backup-28401125");
    expect(scheduledJobName("backup", t, true)).toBe("backup-1704067502");
  });

  const zones: [string, string, string][] = [
    ["2024-01-01T14:00:00Z", "UTC", "2024-01-01T14:00:00Z"],
    ["2024-01-01T14:00:00Z", "America/New_York", "2024-01-01T09:00:00-05:00"],
    ["2024-07-01T14:00:00Z", "America/New_York", "2024-07-01T10:00:00-04:00"],
    ["2024-01-01T03:30:00Z", "Asia/Kolkata", "2024-01-01T09:00:00+05:30"],
    ["2024-12-31T23:30:00Z", "Pacific/Kiritimati", "2025-01-01T13:30:00+14:00"],
  ];
  for (const [instant, tz, want] of zones) test(`${instant} in ${tz}`, () => expect(formatInZone(at(instant), tz)).toBe(want));

  const valid: [string, boolean][] = [["UTC", true], ["Europe/Berlin", true], ["America/Argentina/Buenos_Aires", true], ["Mars/Olympus", false], ["Local", false], ["", false]];
  for (const [tz, ok] of valid) test(`time zone "${tz}"`, () => expect(isValidTimeZone(tz)).toBe(ok));
});
