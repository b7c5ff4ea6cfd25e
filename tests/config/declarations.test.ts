/**
 * Pulumi.yaml is the one source of the `site:` keys, their types and their defaults: the program
 * reads exactly the declared keys, each as its declared type, and takes every default from there.
 */
import { expect } from "chai";
import { declarations, declaredDefaults } from "../../config/declarations";
import { ConfigReader } from "../../config/reader";
import { parseSiteConfig, siteConfigKeys } from "../../config/site";
import { CI_ENV, declaredKeys, stackConfig } from "../support/stacks";

describe("configuration declarations", () => {
    it("declares in Pulumi.yaml exactly the keys the program reads, each read as its declared type", () => {
        // siteConfigKeys reads every key; a key read as another type than declared throws there.
        expect(declaredKeys().sort()).to.deep.equal(siteConfigKeys());
    });

    it("gives a stack that sets only the required keys exactly what the engine's defaults give it", () => {
        // The engine applies Pulumi.yaml's defaults before the program runs; the readers apply the
        // same ones when a value is missing, so both routes end in the same configuration.
        const required = { githubOwner: "aaronspindler", appRepository: "aaronspindler.com" };
        const bare = parseSiteConfig("dev", required, CI_ENV);
        const withDefaults = parseSiteConfig("dev", { ...declaredDefaults(), ...required }, CI_ENV);
        expect(bare).to.deep.equal(withDefaults);
        expect(bare.profile).to.equal(declarations().topology.default);
        expect(bare.caprover.deployTimeoutSeconds).to.equal(declarations().caproverDeployTimeout.default);
        expect(bare.githubSide.workflows.codeqlLanguages).to.deep.equal(declarations().codeqlLanguages.default);
    });

    it("follows a changed declaration: the readers hold no default of their own", () => {
        const declared = { keepVersions: { type: "integer" as const, description: "", default: 9 }, flowerUser: { type: "string" as const, description: "", default: "ops" } };
        const r = new ConfigReader("site", {}, declared);
        expect(r.integer("keepVersions")).to.equal(9);
        expect(r.string("flowerUser")).to.equal("ops");
        expect(stackConfig("prod").caprover.flowerAuth?.user).to.equal("admin");
    });

    it("treats reading an undeclared key, or a key as another type, as a bug of the program", () => {
        const r = new ConfigReader("site", {}, { keepVersions: { type: "integer", description: "", default: 5 } });
        expect(() => r.string("nowhere")).to.throw("site:nowhere is read but Pulumi.yaml does not declare it");
        expect(() => r.boolean("keepVersions")).to.throw("site:keepVersions is read as boolean but Pulumi.yaml declares it integer");
    });
});
