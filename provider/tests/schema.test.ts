/** The schema is the one declaration: the provider's rules and the SDK derive from it. */
import { expect } from "chai";
import * as fs from "fs";
import { PackageSchema, SCHEMA_FILE, packageSchema, resourceRules } from "../src/schema";
import { SDK_FILE, sdkText } from "../scripts/gen-sdk";

describe("package schema", () => {
    it("declares which App inputs replace the app, their defaults and the secret outputs", () => {
        const rules = resourceRules("caprover:index:App");
        expect(rules.replaces).to.deep.equal(["appName", "hasPersistentData"]);
        expect(rules.defaults).to.include({ instanceCount: 1, containerHttpPort: 80, deployTimeoutMs: 600000, adopt: false, allowReplace: false });
        expect(rules.secretOutputs).to.deep.equal(["envVars", "httpAuth", "deployToken"]);
        expect(resourceRules("caprover:index:Registry").secretOutputs).to.deep.equal(["registryPassword"]);
    });

    it("serves the provider's inputs as the stack configuration (caprover:url, caprover:password)", () => {
        expect(Object.keys(packageSchema().config!.variables)).to.include.members(["url", "password"]);
        expect(packageSchema().config!.variables.password.secret).to.equal(true);
    });

    it("is what the committed SDK was generated from (run `npm run gen-sdk` in provider/ after changing it)", () => {
        expect(fs.readFileSync(SDK_FILE, "utf8")).to.equal(sdkText(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")) as PackageSchema));
    });
});
