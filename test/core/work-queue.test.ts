import { expect, test } from "bun:test";
import { TerminalError, WorkQueue } from "../../core/controllers/work-queue.ts";

test("keys are de-duplicated while queued", async () => {
  const calls: string[] = [];
  const q = new WorkQueue(async (k) => void calls.push(k), { name: "t" });
  q.add("a");
  q.add("a");
  q.add("b");
  await q.idle();
  expect(calls.sort()).toEqual(["a", "b"]);
});

test("errors retry with back-off until success; TerminalError never retries", async () => {
  let n = 0;
  const errors: string[] = [];
  const q = new WorkQueue(
    async (k) => {
      if (k === "flaky" && ++n < 4) throw new Error("not yet");
      if (k === "fatal") throw new TerminalError("never");
    },
    { name: "t", baseDelayMs: 1, onError: (k, e) => errors.push(`${k}: ${(e as Error).message}`) },
  );
  q.add("flaky");
  q.add("fatal");
  const end = Date.now() + 2000;
  while (n < 4 && Date.now() < end) await Bun.sleep(5);
  await Bun.sleep(20);
  expect(n).toBe(4);
  expect(errors.filter((e) => e.startsWith("fatal"))).toEqual(["fatal: never"]);
  expect(errors.filter((e) => e.startsWith("flaky"))).toHaveLength(3);
  q.stop();
});

test("requeueAfter looks again later; stop cancels it", async () => {
  let n = 0;
  const q = new WorkQueue(async () => (++n < 3 ? { requeueAfter: 5 } : undefined), { name: "t" });
  q.add("k");
  const end = Date.now() + 2000;
  while (n < 3 && Date.now() < end) await Bun.sleep(5);
  expect(n).toBe(3);
  q.stop();
  q.add("k");
  await Bun.sleep(20);
  expect(n).toBe(3);
});
