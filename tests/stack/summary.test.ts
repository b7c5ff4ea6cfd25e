import { expect } from "chai";
import { runSite } from "../support/site";
import { PROD_BUILDS } from "../support/stacks";

describe("summary", () => {
    it("summarises the active profile beside today's four services", async () => {
        const { outputs } = await runSite("dev", { topology: "unified", releaseProfiles: ["split"] });
        expect(outputs.summary.active.dockerfileTargets).to.deep.equal(["runtime-full", "celery-unified"]);
        expect(outputs.summary.active.caproverApps).to.deep.equal(["dev-web", "dev-celery"]);
        expect(outputs.summary.comparison).to.include("services: 2 (split: 4)");
        // Dev cleans every package it pushes: its own two and the three it builds for prod (celery's is shared).
        expect(outputs.summary.comparison).to.include("cleanupJobs: 4 (split: 4)");
        const prod = await runSite("prod", { ...PROD_BUILDS, topology: "unified" });
        expect(prod.outputs.summary.comparison).to.include("cleanupJobs: 2 (split: 4)");
        const offline = await runSite("dev", { manageGithub: false });
        expect(offline.outputs.summary.active).to.include({ cleanupJobs: 0 }).and.deep.include({ workflows: [] });
    });
});
