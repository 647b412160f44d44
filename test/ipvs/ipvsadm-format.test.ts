// ipvsadm -Sn parsing, ipvsadm -R batch writing, and the diff between them.

import { expect, test } from "bun:test";
import { planIpvsDiff } from "../../ipvs/ipvs-diff.ts";
import { parseIpvsadmSave, writeIpvsadmRestore } from "../../ipvs/ipvsadm-format.ts";
import type { VirtualServer } from "../../ipvs/virtual-server.ts";

// Verbatim `ipvsadm -Sn` from Debian's 6.1 kernel in ../shared/ipvs-vm: hash order, not sorted.
const KERNEL_SAVE = `-A -t 10.96.0.10:80 -s wrr
-a -t 10.96.0.10:80 -r 10.0.0.2:8080 -m -w 1
-a -t 10.96.0.10:80 -r 10.0.0.3:8080 -m -w 3
-A -t 10.96.0.11:443 -s rr -p 10800
-a -t 10.96.0.11:443 -r 10.0.0.5:8443 -m -w 1
-A -u 10.96.0.10:53 -s sh
-a -u 10.96.0.10:53 -r 10.0.0.4:53 -m -w 1
`;

const web: VirtualServer = { protocol: "tcp", address: "10.43.0.10", port: 80, scheduler: "rr", realServers: [{ address: "10.42.0.5", port: 8080, weight: 1 }, { address: "10.42.1.7", port: 8080, weight: 1 }] };
const dns: VirtualServer = { protocol: "udp", address: "10.43.0.10", port: 53, scheduler: "rr", persistent: 10800, realServers: [{ address: "10.42.0.6", port: 53, weight: 1 }] };

test("parses the kernel's save text, sorted", () => {
  expect(parseIpvsadmSave(KERNEL_SAVE)).toEqual([
    { protocol: "udp", address: "10.96.0.10", port: 53, scheduler: "sh", realServers: [{ address: "10.0.0.4", port: 53, weight: 1 }] },
    { protocol: "tcp", address: "10.96.0.10", port: 80, scheduler: "wrr", realServers: [{ address: "10.0.0.2", port: 8080, weight: 1 }, { address: "10.0.0.3", port: 8080, weight: 3 }] },
    { protocol: "tcp", address: "10.96.0.11", port: 443, scheduler: "rr", persistent: 10800, realServers: [{ address: "10.0.0.5", port: 8443, weight: 1 }] },
  ]);
  expect(parseIpvsadmSave("")).toEqual([]);
});

test("round trip: a state written from scratch is save text that parses back equal", () => {
  const text = writeIpvsadmRestore(planIpvsDiff([], [web, dns]));
  expect(text).toBe(`-A -u 10.43.0.10:53 -s rr -p 10800
-a -u 10.43.0.10:53 -r 10.42.0.6:53 -m -w 1
-A -t 10.43.0.10:80 -s rr
-a -t 10.43.0.10:80 -r 10.42.0.5:8080 -m -w 1
-a -t 10.43.0.10:80 -r 10.42.1.7:8080 -m -w 1
`);
  expect(parseIpvsadmSave(text)).toEqual([dns, web]);
  const kernel = parseIpvsadmSave(KERNEL_SAVE);
  expect(parseIpvsadmSave(writeIpvsadmRestore(planIpvsDiff([], kernel)))).toEqual(kernel);
});

test("firewall-mark services are someone else's and skipped; garbage throws with the line", () => {
  expect(parseIpvsadmSave("-A -f 5 -s rr\n-a -f 5 -r 10.0.0.1:0 -g -w 1\n")).toEqual([]);
  expect(() => parseIpvsadmSave("-A -t 10.0.0.1:80 -s rr\n-X -t 10.0.0.1:80\n")).toThrow("line 2");
  expect(() => parseIpvsadmSave("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n")).toThrow("real server before its service");
  expect(() => parseIpvsadmSave("-A -t 10.0.0.1 -s rr\n")).toThrow("bad ADDRESS:PORT");
});

const diff = (current: VirtualServer[], desired: VirtualServer[]) => writeIpvsadmRestore(planIpvsDiff(current, desired));
const withReals = (vs: VirtualServer, reals: [string, number][]): VirtualServer => ({ ...vs, realServers: reals.map(([address, weight]) => ({ address, port: 8080, weight })) });

test("diff table", () => {
  const cases: { name: string; current: VirtualServer[]; desired: VirtualServer[]; batch: string }[] = [
    { name: "no change", current: [web, dns], desired: [dns, web], batch: "" },
    { name: "add a service", current: [dns], desired: [dns, web], batch: "-A -t 10.43.0.10:80 -s rr\n-a -t 10.43.0.10:80 -r 10.42.0.5:8080 -m -w 1\n-a -t 10.43.0.10:80 -r 10.42.1.7:8080 -m -w 1\n" },
    { name: "remove a service", current: [dns, web], desired: [web], batch: "-D -u 10.43.0.10:53\n" },
    { name: "add a real server", current: [web], desired: [withReals(web, [["10.42.0.5", 1], ["10.42.1.7", 1], ["10.42.2.2", 1]])], batch: "-a -t 10.43.0.10:80 -r 10.42.2.2:8080 -m -w 1\n" },
    { name: "remove a real server: drain first", current: [web], desired: [withReals(web, [["10.42.1.7", 1]])], batch: "-e -t 10.43.0.10:80 -r 10.42.0.5:8080 -m -w 0\n" },
    { name: "remove a real server: delete once drained", current: [withReals(web, [["10.42.0.5", 0], ["10.42.1.7", 1]])], desired: [withReals(web, [["10.42.1.7", 1]])], batch: "-d -t 10.43.0.10:80 -r 10.42.0.5:8080\n" },
    { name: "a drained real server comes back", current: [withReals(web, [["10.42.0.5", 0], ["10.42.1.7", 1]])], desired: [web], batch: "-e -t 10.43.0.10:80 -r 10.42.0.5:8080 -m -w 1\n" },
    { name: "weight change", current: [web], desired: [withReals(web, [["10.42.0.5", 3], ["10.42.1.7", 1]])], batch: "-e -t 10.43.0.10:80 -r 10.42.0.5:8080 -m -w 3\n" },
    { name: "scheduler change", current: [web], desired: [{ ...web, scheduler: "sh" }], batch: "-E -t 10.43.0.10:80 -s sh\n" },
    { name: "persistence on", current: [web], desired: [{ ...web, persistent: 60 }], batch: "-E -t 10.43.0.10:80 -s rr -p 60\n" },
    // Measured: -E without -p turns persistence off.
    { name: "persistence off", current: [dns], desired: [{ protocol: "udp", address: "10.43.0.10", port: 53, scheduler: "rr", realServers: dns.realServers }], batch: "-E -u 10.43.0.10:53 -s rr\n" },
    {
      name: "everything at once",
      current: [withReals(web, [["10.42.0.5", 0], ["10.42.0.6", 1], ["10.42.1.7", 1]]), dns],
      desired: [{ ...withReals(web, [["10.42.1.7", 2], ["10.42.3.3", 1]]), scheduler: "wrr" }],
      batch: [
        "-D -u 10.43.0.10:53",
        "-E -t 10.43.0.10:80 -s wrr",
        "-e -t 10.43.0.10:80 -r 10.42.1.7:8080 -m -w 2",
        "-a -t 10.43.0.10:80 -r 10.42.3.3:8080 -m -w 1",
        "-d -t 10.43.0.10:80 -r 10.42.0.5:8080",
        "-e -t 10.43.0.10:80 -r 10.42.0.6:8080 -m -w 0",
        "",
      ].join("\n"),
    },
  ];
  for (const c of cases) expect({ name: c.name, batch: diff(c.current, c.desired) }).toEqual({ name: c.name, batch: c.batch });
});

test("applying a diff to the parsed state converges: drain, then delete, then nothing", () => {
  // A tiny model of the kernel: apply ops by re-diffing the state they produce.
  let kernel = parseIpvsadmSave(writeIpvsadmRestore(planIpvsDiff([], [web, dns])));
  const desired = [withReals(web, [["10.42.1.7", 1]])];
  const passes: string[] = [];
  for (let i = 0; i < 3; i++) {
    const ops = planIpvsDiff(kernel, desired);
    passes.push(writeIpvsadmRestore(ops));
    kernel = kernel
      .filter((vs) => !ops.some((o) => o.op === "delete-service" && o.service.address === vs.address && o.service.port === vs.port && o.service.protocol === vs.protocol))
      .map((vs) => ({
        ...vs,
        realServers: vs.realServers
          .filter((r) => !ops.some((o) => o.op === "delete-real" && o.real.address === r.address))
          .map((r) => {
            const e = ops.find((o) => o.op === "edit-real" && o.real.address === r.address);
            return e && e.op === "edit-real" ? e.real : r;
          }),
      }));
  }
  expect(passes).toEqual(["-D -u 10.43.0.10:53\n-e -t 10.43.0.10:80 -r 10.42.0.5:8080 -m -w 0\n", "-d -t 10.43.0.10:80 -r 10.42.0.5:8080\n", ""]);
});
