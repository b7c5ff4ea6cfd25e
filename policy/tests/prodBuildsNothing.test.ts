import { expect } from "chai";
import { prodBuildsNothing } from "../src/policies/prodBuildsNothing";
import { TYPES } from "../src/resources";
import { app, resource, stack } from "./support";

const build = (name: string, s: string) => resource(TYPES.image, name, { target: "runtime-full", push: true }, s, "site:image:ServiceImage");
const release = (s: string) => resource(TYPES.release, "release", {}, s, "pulumi:pulumi:Stack");
const reference = (s: string) => resource(TYPES.stackReference, "promote-from", { name: "dev" }, s, "site:image:ImageRelease");

describe("policy prod-builds-nothing", () => {
    it("passes a promoting stack that builds nothing, and a building stack that does not promote", () => {
        expect(prodBuildsNothing.check(stack([release("prod"), reference("prod"), app("web", {}, "prod")], "prod"), {})).to.deep.equal([]);
        expect(prodBuildsNothing.check(stack([build("web", "dev"), app("web")]), {})).to.deep.equal([]);
    });

    it("refuses every image build in a stack that deploys a release (promotion or rollback), naming the image", () => {
        const promoting = stack([release("prod"), reference("prod"), build("web", "prod")], "prod");
        expect(prodBuildsNothing.check(promoting, {})).to.deep.equal([{ urn: build("web", "prod").urn, message: "stack prod deploys a release built elsewhere, yet builds image web" }]);
        // A rollback (site:releaseTag) has the release component but reads no other stack.
        expect(prodBuildsNothing.check(stack([release("prod"), build("celery", "prod")], "prod"), {})).to.have.length(1);
    });
});
