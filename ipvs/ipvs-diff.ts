// The diff from the kernel's IPVS table to the desired one, as the smallest
// ipvsadm-restore batch. Removed real servers are drained first (weight 0,
// so open connections finish) and deleted on a later pass that finds them
// already at weight 0: every pass is safe to repeat and converges in two.

import type { IpvsOp, ServiceHeader } from "./ipvsadm-format.ts";
import { realServerKey, sortVirtualServers, virtualServerKey, type VirtualServer } from "./virtual-server.ts";

export function planIpvsDiff(current: VirtualServer[], desired: VirtualServer[]): IpvsOp[] {
  const ops: IpvsOp[] = [];
  const want = new Map(desired.map((vs) => [virtualServerKey(vs), vs]));
  const have = new Map(current.map((vs) => [virtualServerKey(vs), vs]));

  for (const vs of sortVirtualServers(current)) {
    if (!want.has(virtualServerKey(vs))) ops.push({ op: "delete-service", service: id(vs) });
  }
  for (const vs of sortVirtualServers(desired)) {
    const old = have.get(virtualServerKey(vs));
    if (!old) ops.push({ op: "add-service", service: header(vs) });
    else if (old.scheduler !== vs.scheduler || old.persistent !== vs.persistent) ops.push({ op: "edit-service", service: header(vs) });

    const oldReals = new Map((old?.realServers ?? []).map((r) => [realServerKey(r), r]));
    const newReals = new Set(vs.realServers.map(realServerKey));
    for (const real of vs.realServers) {
      const was = oldReals.get(realServerKey(real));
      if (!was) ops.push({ op: "add-real", service: id(vs), real });
      else if (was.weight !== real.weight) ops.push({ op: "edit-real", service: id(vs), real });
    }
    for (const real of old ? sortVirtualServers([old])[0]!.realServers : []) {
      if (newReals.has(realServerKey(real))) continue;
      if (real.weight > 0) ops.push({ op: "edit-real", service: id(vs), real: { ...real, weight: 0 } });
      else ops.push({ op: "delete-real", service: id(vs), real: { address: real.address, port: real.port } });
    }
  }
  return ops;
}

function id(vs: VirtualServer) {
  return { protocol: vs.protocol, address: vs.address, port: vs.port };
}

function header(vs: VirtualServer): ServiceHeader {
  const { realServers: _, ...rest } = vs;
  return rest;
}
