import { expect } from "chai";
import { deployOrderAndLimits } from "../src/policies/deployOrderAndLimits";
import { OVERRIDE, app, unknown } from "./support";

describe("policy deploy-order-and-limits (mandatory)", () => {
    it("is mandatory: the program sets the order and the limit itself", () => expect(deployOrderAndLimits.enforcementLevel).to.equal("mandatory"));

    it("passes beat stop-first, web start-first (also by CapRover's default), a consolidated worker with its nofile limit", () => {
        for (const role of ["web", "worker", "beat", "unified", "flower", "allInOne"] as const) expect(deployOrderAndLimits.check(app(role)), role).to.deep.equal([]);
        expect(deployOrderAndLimits.check(app("web", { serviceUpdateOverride: "" }))).to.deep.equal([]);
        // A persistent-data beat is stop-first by CapRover's default; YAML is accepted as CapRover does.
        expect(deployOrderAndLimits.check(app("beat", { serviceUpdateOverride: undefined, hasPersistentData: true }))).to.deep.equal([]);
        expect(deployOrderAndLimits.check(app("beat", { serviceUpdateOverride: "UpdateConfig:\n  Order: stop-first\n" }))).to.deep.equal([]);
        expect(deployOrderAndLimits.check(app("beat", { serviceUpdateOverride: unknown }))).to.deep.equal([]);
    });

    it("reports a beat updated start-first, by CapRover's default or by its override", () => {
        expect(deployOrderAndLimits.check(app("beat", { serviceUpdateOverride: undefined }))).to.deep.equal([
            `app dev-celerybeat runs Celery beat and is updated start-first (CapRover's default for an app without persistent data): old and new beat overlap and periodic tasks due meanwhile run twice; set UpdateConfig.Order to stop-first in its serviceUpdateOverride`,
        ]);
        expect(deployOrderAndLimits.check(app("beat", { serviceUpdateOverride: OVERRIDE.startFirst }))[0]).to.include("is updated start-first (its serviceUpdateOverride sets UpdateConfig.Order)");
    });

    it("reports web updated stop-first (an outage per deploy), unless it has persistent data (CapRover's own choice then)", () => {
        expect(deployOrderAndLimits.check(app("web", { serviceUpdateOverride: OVERRIDE.stopFirst }))).to.deep.equal([
            "app dev-web serves web and is updated stop-first (its serviceUpdateOverride sets UpdateConfig.Order): every deploy is an outage; set UpdateConfig.Order to start-first in its serviceUpdateOverride, or declare the release's migrations breaking (site:release.migrations: breaking; the program labels the service site.release.migrations=breaking)",
        ]);
        expect(deployOrderAndLimits.check(app("web", { serviceUpdateOverride: OVERRIDE.stopFirst, hasPersistentData: true }))).to.deep.equal([]);
    });

    it("reports worker and beat in one container without a sound nofile limit", () => {
        const [missing] = deployOrderAndLimits.check(app("unified", { serviceUpdateOverride: OVERRIDE.stopFirst }));
        expect(missing).to.equal(
            "app dev-celery runs a Celery worker and beat in one container with no nofile ulimit: the consolidated worker hit the open-file limit before; set TaskTemplate.ContainerSpec.Ulimits [{Name: nofile, Soft, Hard}] in its serviceUpdateOverride",
        );
        const inverted = JSON.stringify({ UpdateConfig: { Order: "stop-first" }, TaskTemplate: { ContainerSpec: { Ulimits: [{ Name: "nofile", Soft: 9000, Hard: 1024 }] } } });
        expect(deployOrderAndLimits.check(app("unified", { serviceUpdateOverride: inverted }))[0]).to.include("with a nofile ulimit that is not 0 < Soft <= Hard (Soft 9000, Hard 1024)");
        expect(deployOrderAndLimits.check(app("unified", { serviceUpdateOverride: undefined }))).to.have.length(2);
    });

    it("reports an override CapRover would refuse", () => {
        expect(deployOrderAndLimits.check(app("web", { serviceUpdateOverride: "[1, 2]" }))).to.deep.equal(["app dev-web: serviceUpdateOverride is not an object; CapRover refuses anything but a JSON object (or the equivalent YAML)"]);
        expect(deployOrderAndLimits.check(app("web", { serviceUpdateOverride: "{ nope" }))[0]).to.include("serviceUpdateOverride is neither JSON nor YAML");
    });
});
