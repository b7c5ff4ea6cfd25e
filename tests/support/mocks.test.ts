import { expect } from "chai";
import { runSite } from "./site";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "./mocks";

describe("mock harness", () => {
    it("fails, as the engine would, when two resources share a URN", async () => {
        let failure = "";
        try {
            await runProgram("dev", () => [new pulumi.ComponentResource("site:test:Thing", "same"), new pulumi.ComponentResource("site:test:Thing", "same")]);
        } catch (e) {
            failure = String(e);
        }
        expect(failure).to.include("2 resources registered under 1 URNs");
    });

    it("finds no shared URN in dev under single while it builds split's targets for prod", async () => {
        const { resources } = await runSite("dev", { topology: "single", singleTarget: "all-in-one", releaseProfiles: ["split"] });
        const images = resources.filter((r) => r.type === "docker-build:index:Image").map((r) => [r.name, r.inputs.target]);
        expect(images).to.deep.include.members([["web", "all-in-one"], ["release-web", "runtime-full"]]);
    });
});
