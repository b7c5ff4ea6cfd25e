import { expect } from "chai";
import { deploySite } from "../../stack/site";
import { runProgram } from "../support/mocks";
import { PROD_BUILDS, stackConfig } from "../support/stacks";

describe("summary", () => {
    it("summarises the active profile beside today's four services", async () => {
        const { outputs } = await runProgram("dev", () => deploySite(stackConfig("dev")));
        expect(outputs.summary.active.dockerfileTargets).to.deep.equal(["runtime-full", "celery-unified"]);
        expect(outputs.summary.active.caproverApps).to.deep.equal(["dev-web", "dev-celery"]);
        expect(outputs.summary.comparison).to.include("services: 2 (split: 4)");
        // Dev cleans every package it pushes: its own two and the three it builds for prod (celery's is shared).
        expect(outputs.summary.comparison).to.include("cleanupJobs: 4 (split: 4)");
        const prod = await runProgram("prod", () => deploySite(stackConfig("prod", { ...PROD_BUILDS, topology: "unified" })));
        expect(prod.outputs.summary.comparison).to.include("cleanupJobs: 2 (split: 4)");
        const offline = await runProgram("dev", () => deploySite(stackConfig("dev", { manageGithub: false })));
        expect(offline.outputs.summary.active).to.include({ cleanupJobs: 0 }).and.deep.include({ workflows: [] });
    });
});
