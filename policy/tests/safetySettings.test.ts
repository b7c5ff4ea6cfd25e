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

    it("refuse, on production, a deploy timeout no longer than the stop grace period of a worker updated stop-first (it carries beat), which the gate would spend waiting for the old one to drain", () => {
        // The program's grace period: 330 s (site:celeryTaskTimeLimit 300 s plus its margin).
        const unified = (timeoutMs: number, s = "prod") => app("unified", { deployTimeoutMs: timeoutMs }, s);
        expect(prodSafetySettings.check(stack([unified(600_000)], "prod"), CONFIG)).to.deep.equal([]);
        expect(messages(prodSafetySettings.check(stack([unified(330_000)], "prod"), CONFIG))).to.deep.equal([
            "stack prod: app prod-celery runs a Celery worker updated stop-first, so a deploy starts its new container only once the old one has stopped, which may take its stop grace period of 330 s while a task finishes; " +
                "its deploy timeout of 330 s (deployTimeoutMs) would give up meanwhile: raise site:caproverDeployTimeout above 330 s, or shorten the grace period (lower site:celeryTaskTimeLimit, or site:services.celery.serviceUpdateOverride.TaskTemplate.ContainerSpec.StopGracePeriod where the stack sets it)",
        ]);
        expect(messages(devSafetySettings.check(stack([unified(60_000)]), CONFIG))[0]).to.include("its deploy timeout of 60 s");
        // A worker alone updates start-first: the old one drains beside the new one, after the gate.
        expect(prodSafetySettings.check(stack([app("worker", { deployTimeoutMs: 60_000 }, "prod")], "prod"), CONFIG)).to.deep.equal([]);
        // Beat alone runs no task; the same rule for worker, beat and web in one container.
        expect(prodSafetySettings.check(stack([app("beat", { deployTimeoutMs: 5_000 }, "prod")], "prod"), CONFIG)).to.deep.equal([]);
        expect(prodSafetySettings.check(stack([app("allInOne", { deployTimeoutMs: 300_000 }, "prod")], "prod"), CONFIG)).to.have.length(1);
        // No grace period set: Docker's 10 s.
        const bare = app("unified", { deployTimeoutMs: 10_000, serviceUpdateOverride: JSON.stringify({ UpdateConfig: { Order: "stop-first" } }) }, "prod");
        expect(messages(prodSafetySettings.check(stack([bare], "prod"), CONFIG))[0]).to.include("its stop grace period of 10 s");
    });

    it("count as production a stack named in productionStacks, or one that deploys a release built elsewhere", () => {
        const replacing = (s: string, extra: ReturnType<typeof resource>[] = []) => stack([...extra, app("web", { allowReplace: true }, s)], s);
        expect(prodSafetySettings.check(replacing("live"), CONFIG)).to.deep.equal([]);
        expect(prodSafetySettings.check(replacing("live"), { productionStacks: ["live"] })).to.have.length(1);
        expect(prodSafetySettings.check(replacing("staging", [release("staging")]), CONFIG)).to.have.length(1);
        expect(devSafetySettings.check(replacing("staging", [release("staging")]), CONFIG)).to.deep.equal([]);
    });
});
