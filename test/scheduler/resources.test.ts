import { describe, expect, test } from "bun:test";
import { isScalarResourceName, parseResources, podRequests } from "../../core/scheduler/resources.ts";

type Spec = Parameters<typeof podRequests>[0];

function c(requests: Record<string, string> | undefined, restartPolicy?: "Always"): Spec["containers"][number] {
  return { name: "c", image: "i", resources: requests ? { requests } : {}, ...(restartPolicy ? { restartPolicy } : {}) } as Spec["containers"][number];
}

describe("podRequests (resource.PodRequests)", () => {
  const cases: { name: string; spec: Spec; want: { milliCpu: number; memory: number } }[] = [
    { name: "containers are summed", spec: { containers: [c({ cpu: "100m", memory: "1Mi" }), c({ cpu: "250m", memory: "2Mi" })] }, want: { milliCpu: 350, memory: 3 * 2 ** 20 } },
    { name: "an init container larger than the sum wins", spec: { containers: [c({ cpu: "1" })], initContainers: [c({ cpu: "2" }), c({ cpu: "500m" })] }, want: { milliCpu: 2000, memory: 0 } },
    { name: "init containers smaller than the sum", spec: { containers: [c({ cpu: "1" }), c({ cpu: "1" })], initContainers: [c({ cpu: "1500m" })] }, want: { milliCpu: 2000, memory: 0 } },
    { name: "max per resource, not per container", spec: { containers: [c({ cpu: "1", memory: "1Gi" })], initContainers: [c({ cpu: "2", memory: "1Mi" })] }, want: { milliCpu: 2000, memory: 2 ** 30 } },
    {
      name: "a sidecar runs next to the containers and under later init containers",
      spec: { containers: [c({ cpu: "1" })], initContainers: [c({ cpu: "500m" }, "Always"), c({ cpu: "2" })] },
      want: { milliCpu: 2500, memory: 0 },
    },
    { name: "a sidecar adds to the containers", spec: { containers: [c({ cpu: "1" })], initContainers: [c({ cpu: "500m" }, "Always")] }, want: { milliCpu: 1500, memory: 0 } },
    { name: "overhead is added", spec: { containers: [c({ cpu: "1" })], overhead: { cpu: "250m" } }, want: { milliCpu: 1250, memory: 0 } },
    { name: "no requests", spec: { containers: [c(undefined)] }, want: { milliCpu: 0, memory: 0 } },
  ];
  test.each(cases)("$name", ({ spec, want }) => expect(podRequests(spec)).toMatchObject(want));

  test("the non-zero variant counts a missing CPU or memory request as 100m / 200Mi, but not an explicit zero", () => {
    expect(podRequests({ containers: [c(undefined), c({ cpu: "0" })] }, { nonZero: true })).toMatchObject({ milliCpu: 100, memory: 2 * 200 * 2 ** 20 });
  });
});

test("quantities become numbers; extended resources are kept, unknown names are not", () => {
  const r = parseResources({ cpu: "1500m", memory: "1Gi", "ephemeral-storage": "10G", "example.com/gpu": "2", "hugepages-2Mi": "4Mi", widgets: "3" });
  expect(r).toMatchObject({ milliCpu: 1500, memory: 2 ** 30, ephemeralStorage: 10e9 });
  expect([...r.scalars!]).toEqual([
    ["example.com/gpu", 2],
    ["hugepages-2Mi", 4 * 2 ** 20],
  ]);
  expect([isScalarResourceName("kubernetes.io/foo"), isScalarResourceName("requests.example.com/x"), isScalarResourceName("pods")]).toEqual([false, false, false]);
});
