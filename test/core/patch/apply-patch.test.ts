import { describe, expect, test } from "bun:test";
import { TugError } from "../../../core/errors.ts";
import { applyPatch, isPatchContentType, PATCH_CONTENT_TYPES } from "../../../core/patch/index.ts";
import { deepFreeze } from "./fixtures.ts";

const live = deepFreeze({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", labels: { app: "web" } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: "a", image: "a:1" }, { name: "b", image: "b:1" }] } } },
});

describe("applyPatch", () => {
  test("dispatches on the media type, ignoring parameters and case", () => {
    const containers = [{ name: "b", image: "b:2" }];
    const body = { spec: { template: { spec: { containers } } } };
    const merged = applyPatch("application/merge-patch+json", live, body, "Deployment") as typeof live;
    expect(merged.spec.template.spec.containers).toEqual(containers);
    const strategic = applyPatch("Application/Strategic-Merge-Patch+JSON; charset=utf-8", live, body, "Deployment") as typeof live;
    expect(strategic.spec.template.spec.containers).toEqual([{ name: "a", image: "a:1" }, { name: "b", image: "b:2" }]);
    const jsonPatched = applyPatch("application/json-patch+json", live, [{ op: "replace", path: "/spec/replicas", value: 4 }], "Deployment") as typeof live;
    expect(jsonPatched.spec.replicas).toBe(4);
  });

  test("server-side apply merges the full object like a merge patch (simplified)", () => {
    const body = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", labels: { tier: "fe" } },
      spec: { replicas: 3, template: { spec: { containers: [{ name: "a", image: "a:2" }] } } },
    };
    expect(applyPatch("application/apply-patch+yaml", live, body, "Deployment")).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", labels: { app: "web", tier: "fe" } },
      spec: { replicas: 3, template: { spec: { containers: [{ name: "a", image: "a:2" }] } } },
    });
  });

  test("other content types are UnsupportedMediaType (415)", () => {
    for (const type of ["application/json", "application/yaml", "", "text/plain"]) {
      let err: unknown;
      try {
        applyPatch(type, live, {}, "Deployment");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TugError);
      expect((err as TugError).status).toBe(415);
      expect((err as TugError).message).toContain("accepted media types include: application/json-patch+json");
    }
  });

  test("isPatchContentType", () => {
    for (const t of PATCH_CONTENT_TYPES) expect(isPatchContentType(t)).toBe(true);
    expect(isPatchContentType("application/merge-patch+json; charset=utf-8")).toBe(true);
    expect(isPatchContentType("application/json")).toBe(false);
  });
});
