import { expect } from "chai";
import { devSafetySettings, prodSafetySettings } from "../src/policies/safetySettings";
import { TYPES } from "../src/resources";
import { app, messages, resource, stack, unknown } from "./support";

const CONFIG = { productionStacks: ["prod"] };
const release = (s: string) => resource(TYPES.release, "release", {}, s, "pulumi:pulumi:Stack");
const split = (s: string, change: Record<string, unknown> = {}) => [app("web", change, s), app("worker", change, s), app("beat", change, s), app("flower", change, s)];

describe("policies prod-safety-settings (mandatory) and dev-safety-settings (advisory)", () => {
    it("levels: mandatory on production, advisory elsewhere", () => {
        expect(prodSafetySettings.enforcementLevel).to.equal("mandatory");
        expect(devSafetySettings.enforcementLevel).to.equal("advisory");
    });

    it("pass apps with a deploy timeout, health paths on web and Flower, replacement refused", () => {
        expect(prodSafetySettings.check(stack(split("prod"), "prod"), CONFIG)).to.deep.equal([]);
        expect(devSafetySettings.check(stack(split("dev")), CONFIG)).to.deep.equal([]);
        expect(prodSafetySettings.check(stack([app("web", { deployTimeoutMs: unknown }, "prod")], "prod"), CONFIG)).to.deep.equal([]);
    });

    it("refuse, on production, a missing deploy timeout, a web or Flower app without health path, and allowReplace", () => {
        const apps = [app("web", { healthPath: undefined }, "prod"), app("worker", { deployTimeoutMs: undefined }, "prod"), app("beat", { allowReplace: true }, "prod"), app("flower", { healthPath: "" }, "prod")];
        expect(messages(prodSafetySettings.check(stack(apps, "prod"), CONFIG))).to.deep.equal([
            "stack prod: app prod-web serves HTTP without a health path (healthPath): a deploy would not wait for the new container to answer",
            "stack prod: app prod-celery has no deploy timeout (deployTimeoutMs): a deploy that never turns healthy would hold the update instead of failing it",
            "stack prod: app prod-celerybeat allows replacement (allowReplace, site:allowReplace): a change of app name or persistent-data flag would delete and re-create it, with downtime",
            "stack prod: app prod-flower serves HTTP without a health path (healthPath): a deploy would not wait for the new container to answer",
        ]);
        // The advisory twin stays quiet on production, and speaks on dev.
        expect(devSafetySettings.check(stack(apps, "prod"), CONFIG)).to.deep.equal([]);
        expect(messages(devSafetySettings.check(stack([app("web", { allowReplace: true })]), CONFIG))).to.deep.equal([
            "stack dev: app dev-web allows replacement (allowReplace, site:allowReplace): a change of app name or persistent-data flag would delete and re-create it, with downtime",
        ]);
    });

    it("count as production a stack named in productionStacks, or one that deploys a release built elsewhere", () => {
        const replacing = (s: string, extra: ReturnType<typeof resource>[] = []) => stack([...extra, app("web", { allowReplace: true }, s)], s);
        expect(prodSafetySettings.check(replacing("live"), CONFIG)).to.deep.equal([]);
        expect(prodSafetySettings.check(replacing("live"), { productionStacks: ["live"] })).to.have.length(1);
        expect(prodSafetySettings.check(replacing("staging", [release("staging")]), CONFIG)).to.have.length(1);
        expect(devSafetySettings.check(replacing("staging", [release("staging")]), CONFIG)).to.deep.equal([]);
    });
});
