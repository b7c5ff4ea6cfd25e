import { expect } from "chai";
import { webKeepsServing } from "../src/policies/webKeepsServing";
import { app, unknown } from "./support";

describe("policy web-keeps-serving", () => {
    it("passes web with instances and a health path (the all-in-one container serves web too); ignores workers", () => {
        expect(webKeepsServing.check(app("web"))).to.deep.equal([]);
        expect(webKeepsServing.check(app("allInOne"))).to.deep.equal([]);
        expect(webKeepsServing.check(app("web", { instanceCount: undefined }))).to.deep.equal([]);
        expect(webKeepsServing.check(app("web", { instanceCount: unknown }))).to.deep.equal([]);
        expect(webKeepsServing.check(app("worker", { instanceCount: 0 }))).to.deep.equal([]);
    });

    it("refuses web with no instance or without a health path", () => {
        expect(webKeepsServing.check(app("web", { instanceCount: 0 }))).to.deep.equal(["app dev-web serves web with instanceCount 0; expected at least 1"]);
        expect(webKeepsServing.check(app("allInOne", { healthPath: undefined }))).to.deep.equal([
            "app dev-web serves web without a health path (healthPath, e.g. /health/): deploys would not wait for a healthy container",
        ]);
    });
});
