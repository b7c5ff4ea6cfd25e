import { expect } from "chai";
import { runSite } from "../../support/site";
import { GhcrRegistry } from "../../../components/images/ghcrRegistry";
import { PROD_BUILDS, stackConfig } from "../../support/stacks";

describe("GhcrRegistry", () => {
    it("owns the retention policy of every active image package", async () => {
        const { resources } = await runSite("prod", { ...PROD_BUILDS, keepVersions: 7 });
        expect(resources.filter((r) => r.type === "site:registry:GhcrRegistry").map((r) => r.name)).to.deep.equal(["ghcr"]);
        const config = stackConfig("dev", { topology: "unified" });
        const registry = new GhcrRegistry("r", { settings: config.registry, services: config.services });
        expect(registry.retention).to.deep.equal({
            packages: ["aaronspindler.com-web", "aaronspindler.com-celery"],
            keepVersions: 5,
            keepUntagged: 1,
        });
    });
});
