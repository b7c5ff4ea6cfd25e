/**
 * The canary through the program (dev, mocks): one caprover:index:Canary after every app, asking
 * web's canary path for the release's worker (and beat's heartbeat); its inputs follow the profile;
 * `site:canary.enabled false` leaves it out; the maintenance page lets its path through.
 */
import { expect } from "chai";
import { Registered } from "../support/mocks";
import { runSite } from "../support/site";

const canary = (resources: Registered[]) => resources.filter((r) => r.type === "caprover:index:Canary");
const app = (resources: Registered[], name: string) => resources.find((r) => r.type === "caprover:index:App" && r.name === name)!;

describe("the canary through the program (dev, mocks)", () => {
    it("split: asks web's /canary/ for celery's image, beat's image for the heartbeat, after every app", async () => {
        const { resources } = await runSite("dev", { topology: "split" });
        const [c] = canary(resources);
        expect(canary(resources)).to.have.length(1);
        expect(c.inputs).to.deep.include({
            appName: app(resources, "web").inputs.appName,
            path: "/canary/",
            webImage: app(resources, "web").inputs.image,
            workerImage: app(resources, "celery").inputs.image,
            beatImage: app(resources, "celerybeat").inputs.image,
            beatHeartbeatMaxAgeS: 120,
            deployTimeoutMs: app(resources, "web").inputs.deployTimeoutMs,
        });
        for (const name of ["web", "celery", "celerybeat", "flower"]) expect(c.dependsOn, name).to.include(app(resources, name).urn);
    });

    it("unified: beat runs in the worker (no image of its own); single: web is the worker too", async () => {
        const [unified] = canary((await runSite("dev", { topology: "unified" })).resources);
        expect(unified.inputs).to.deep.include({ beatImage: "" });
        const single = (await runSite("dev", { topology: "single", singleTarget: "all-in-one" })).resources;
        expect(canary(single)[0].inputs.workerImage).to.equal(app(single, "web").inputs.image);
    });

    it("site:canary: a stack's path and bound; enabled false leaves it out", async () => {
        const [c] = canary((await runSite("dev", { canary: { path: "/ops/canary/", beatMaxAgeSeconds: 300 } })).resources);
        expect(c.inputs).to.deep.include({ path: "/ops/canary/", beatHeartbeatMaxAgeS: 300 });
        expect(canary((await runSite("dev", { canary: { enabled: false } })).resources)).to.deep.equal([]);
    });

    it("the maintenance page lets the canary's path reach web, as it does the health path", async () => {
        const { resources } = await runSite("dev", { maintenance: true });
        const nginx = String(app(resources, "web").inputs.customNginxConfig);
        expect(nginx).to.include("location /health/ {").and.include("location /canary/ {");
        const off = String(app((await runSite("dev", { maintenance: true, canary: { enabled: false } })).resources, "web").inputs.customNginxConfig);
        expect(off).to.not.include("location /canary/");
    });
});
