import { expect, test } from "bun:test";
import { planPodMasquerade } from "../../../node-agent/network/pod-masquerade.ts";

test("pod masquerade: only traffic leaving the cluster's pod CIDR, one table per bridge, replaced atomically", () => {
  const { table, script } = planPodMasquerade("tug0", "10.42.3.0/24", "10.42.0.0/16");
  expect(table).toBe("tug-pods-tug0");
  expect(script).toBe(
    "table ip tug-pods-tug0\ndelete table ip tug-pods-tug0\ntable ip tug-pods-tug0 {\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat + 10; policy accept;\n\t\tip saddr 10.42.3.0/24 ip daddr != 10.42.0.0/16 masquerade\n\t}\n}\n",
  );
  expect(planPodMasquerade("br.x-1", "10.42.0.0/24", "10.42.0.0/16").table).toBe("tug-pods-br_x_1");
});

test.skipIf(process.getuid?.() !== 0 || !Bun.which("nft"))("the script is valid nft (nft -c)", async () => {
  const p = Bun.spawn(["nft", "-c", "-f", "-"], { stdin: new Blob([planPodMasquerade("tug0", "10.42.3.0/24", "10.42.0.0/16").script]), stderr: "pipe" });
  expect(await p.exited).toBe(0);
});
