// /proc/net/ip_vs as the kernel writes it (ip_vs_info_seq_show) -> the same
// VirtualServer[] parseIpvsadmSave gives for that table.


import { expect, test } from "bun:test";
import { parseIpvsadmSave } from "../../ipvs/ipvsadm-format.ts";
import { parseProcIpVs } from "../../ipvs/proc-ip-vs.ts";

const HEADER = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
`;

test("TCP and UDP services with their real servers, drained ones and affinity, in the planner's order", () => {
  const proc = `${HEADER}UDP  0A2B000A:0035 rr 
  -> 0A2A0103:0035      Masq    1      0          0         
TCP  C0A80501:759C rr persistent 2700000 FFFFFFFF
  -> 0A2A0102:1F90      Masq    1      0          3         
TCP  0A2B000A:0050 rr 
  -> 0A2A0202:1F90      Masq    0      2          0         
  -> 0A2A0102:1F90      Masq    1      0          0         
`;
  const save = `-A -u 10.43.0.10:53 -s rr
-a -u 10.43.0.10:53 -r 10.42.1.3:53 -m -w 1
-A -t 192.168.5.1:30108 -s rr -p 10800
-a -t 192.168.5.1:30108 -r 10.42.1.2:8080 -m -w 1
-A -t 10.43.0.10:80 -s rr
-a -t 10.43.0.10:80 -r 10.42.2.2:8080 -m -w 0
-a -t 10.43.0.10:80 -r 10.42.1.2:8080 -m -w 1
`;
  // The kernel's tick rate (CONFIG_HZ) scales the affinity timeout.
  expect(parseProcIpVs(proc, 250)).toEqual(parseIpvsadmSave(save));
  expect(parseProcIpVs(proc).find((vs) => vs.port === 30108)?.persistent).toBe(2700000);
  expect(parseProcIpVs(proc, 250)[1]).toEqual({
    protocol: "tcp",
    address: "10.43.0.10",
    port: 80,
    scheduler: "rr",
    realServers: [
      { address: "10.42.1.2", port: 8080, weight: 1 },
      { address: "10.42.2.2", port: 8080, weight: 0 },
    ],
  });
});

test("an empty table, a service without real servers, the one-packet flag", () => {
  expect(parseProcIpVs(HEADER)).toEqual([]);
  expect(parseProcIpVs(`${HEADER}UDP  0A2B000A:0035 rr ops \n`)).toEqual([{ protocol: "udp", address: "10.43.0.10", port: 53, scheduler: "rr", realServers: [] }]);
});

test("firewall-mark and SCTP services are someone else's: skipped with their real servers", () => {
  const proc = `${HEADER}FWM  00000010 rr 
  -> 0A000001:0050      Route   1      0          0         
SCTP  0A2B000B:0050 rr 
  -> 0A000002:0050      Masq    1      0          0         
TCP  0A2B000A:0050 wrr 
  -> 0A2A0102:1F90      Masq    5      0          0         
`;
  expect(parseProcIpVs(proc)).toEqual([{ protocol: "tcp", address: "10.43.0.10", port: 80, scheduler: "wrr", realServers: [{ address: "10.42.1.2", port: 8080, weight: 5 }] }]);
});

test("IPv6, which the kernel writes in full, comes out in the short form ipvsadm writes", () => {
  const proc = `${HEADER}TCP  [fd00:0000:0000:0000:0000:0000:0000:000a]:0050 rr 
  -> [fd00:0000:0000:0000:0000:0000:0001:0002]:1F90      Masq    1      0          0         
`;
  expect(parseProcIpVs(proc)).toEqual(parseIpvsadmSave("-A -t [fd00::a]:80 -s rr\n-a -t [fd00::a]:80 -r [fd00::1:2]:8080 -m -w 1\n"));
});

test("what it does not understand throws, naming the line", () => {
  expect(() => parseProcIpVs(`${HEADER}  -> 0A2A0102:1F90      Masq    1      0          0\n`)).toThrow("/proc/net/ip_vs line 4: real server before its service: -> 0A2A0102:1F90");
  expect(() => parseProcIpVs(`${HEADER}ICMP  0A2B000A:0050 rr\n`)).toThrow("line 4: unknown protocol ICMP");
  expect(() => parseProcIpVs(`${HEADER}TCP  10.43.0.10:80 rr\n`)).toThrow("line 4: bad ADDRESS:PORT 10.43.0.10:80");
  expect(() => parseProcIpVs(`${HEADER}TCP  0A2B000A:0050 rr persistent\n`)).toThrow("line 4: persistent without a timeout");
  expect(() => parseProcIpVs(`${HEADER}TCP  0A2B000A:0050 rr\n  -> 0A2A0102:1F90      Masq    x\n`)).toThrow("line 5: expected -> ADDRESS:PORT FORWARD WEIGHT");
});
