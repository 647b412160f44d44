// AgentEvents: the agent's event buffer in front of the link (pure logic; the
// link is a function that takes a batch or says it is down).

import { expect, test } from "bun:test";
import type { AgentEvent } from "../../../core/mesh/messages.ts";
import { AgentEvents, type EventInput } from "../../../node-agent/events/agent-events.ts";

const ev = (reason: string, name = "web-1"): EventInput => ({ kind: "Pod", namespace: "default", name, uid: `uid-${name}`, fieldPath: "spec.containers{web}", type: "Warning", reason, message: `${reason} happened` });

function linkThat(up: () => boolean) {
  const sent: AgentEvent[][] = [];
  return { sent, send: (items: AgentEvent[]) => (up() ? (sent.push(items), true) : false) };
}

test("repeats of one event wait as one, with their count; different ones stay apart", () => {
  const link = linkThat(() => true);
  const events = new AgentEvents({ send: link.send, log: () => undefined });
  events.record(ev("BackOff"));
  events.record(ev("BackOff"));
  events.record(ev("Unhealthy"));
  events.record(ev("BackOff"));
  events.flush();
  expect(link.sent).toEqual([[{ ...ev("BackOff"), count: 3 }, { ...ev("Unhealthy"), count: 1 }]]);
  // Sent once: a flush with nothing new sends nothing.
  events.flush();
  expect(link.sent).toHaveLength(1);
});

test("while the link is down events are kept, then go out together once it is back", () => {
  let up = false;
  const link = linkThat(() => up);
  const events = new AgentEvents({ send: link.send, log: () => undefined });
  events.record(ev("Started"));
  events.flush();
  events.record(ev("Started"));
  events.record(ev("Killing"));
  events.flush();
  expect(link.sent).toEqual([]);
  up = true;
  events.flush();
  expect(link.sent).toEqual([[{ ...ev("Started"), count: 2 }, { ...ev("Killing"), count: 1 }]]);
});

test("a long outage keeps 256 distinct events, counts the rest as dropped and says so once", () => {
  let up = false;
  const link = linkThat(() => up);
  const lines: string[] = [];
  const events = new AgentEvents({ send: link.send, log: (l) => lines.push(l) });
  for (let i = 0; i < 300; i++) events.record(ev("Started", `pod-${i}`));
  // A repeat of a kept event still counts.
  events.record(ev("Started", "pod-0"));
  up = true;
  events.flush();
  expect(link.sent[0]).toHaveLength(256);
  expect(link.sent[0]![0]!.count).toBe(2);
  expect(lines).toEqual(["44 event(s) were dropped while the link was down (256 kept)"]);
});

test("a new event goes out at once; the same one again waits out the repeat interval, with the repeats in its count", () => {
  let now = 0;
  const link = linkThat(() => true);
  const events = new AgentEvents({ send: link.send, repeatMs: 10_000, now: () => now, log: () => undefined });
  events.record(ev("Unhealthy"));
  events.flush();
  for (let s = 1; s <= 5; s++) {
    now = s * 1000;
    events.record(ev("Unhealthy"));
    // Something new is not held back by the repeating one.
    if (s === 3) events.record(ev("Killing"));
    events.flush();
  }
  expect(link.sent).toEqual([[{ ...ev("Unhealthy"), count: 1 }], [{ ...ev("Killing"), count: 1 }]]);
  now = 10_000;
  events.flush();
  expect(link.sent[2]).toEqual([{ ...ev("Unhealthy"), count: 5 }]);
});

test("without a link that takes events nothing is kept", () => {
  const events = new AgentEvents({ log: () => undefined });
  events.record(ev("Started"));
  expect(() => events.flush()).not.toThrow();
});
