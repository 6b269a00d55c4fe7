/** The error guard works across two copies of the package (the dual package hazard), without instanceof. */
import { describe, expect, it } from "vitest";
import { isSkejiError, SkejiError } from "../../../runtime/index.ts";

describe("isSkejiError", () => {
  it("recognises an error from a second copy of the module, which instanceof does not", async () => {
    // Another URL for the same file is another module instance: a second copy of the class.
    const secondCopy = new URL("../../../runtime/errors/base.ts?second-copy", import.meta.url).href;
    const copy = (await import(secondCopy)) as typeof import("../../../runtime/errors/base.ts");
    expect(copy.SkejiError).not.toBe(SkejiError);
    const foreign = new copy.SkejiError("PUBLISH_FAILED", "from the other copy", { details: { topic: "t" } });
    expect(foreign instanceof SkejiError).toBe(false);
    expect(isSkejiError(foreign)).toBe(true);
    expect(isSkejiError(foreign, "PUBLISH_FAILED")).toBe(true);
    expect(isSkejiError(foreign, "INVALID_PAYLOAD")).toBe(false);
    expect(copy.isSkejiError(new SkejiError("INVALID_CONFIG", "x"), "INVALID_CONFIG")).toBe(true);
  });

  it("is false for look-alikes without the brand", () => {
    const lookalike = Object.assign(new Error("x"), { code: "PUBLISH_FAILED" });
    expect(isSkejiError(lookalike)).toBe(false);
    expect(isSkejiError({ code: "PUBLISH_FAILED" })).toBe(false);
    expect(isSkejiError(null)).toBe(false);
    expect(isSkejiError("PUBLISH_FAILED")).toBe(false);
  });

  it("keeps code, cause and details, and serialises without the stack", () => {
    const cause = new Error("broker said no");
    const e = new SkejiError("PUBLISH_FAILED", "publishing failed", { cause, details: { topic: "t" } });
    expect(e).toMatchObject({ code: "PUBLISH_FAILED", cause, details: { topic: "t" }, name: "SkejiError" });
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      name: "SkejiError",
      code: "PUBLISH_FAILED",
      message: "publishing failed",
      details: { topic: "t" },
    });
  });
});
