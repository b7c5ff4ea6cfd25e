/**
 * The rehearsal's own logic: its command line, and the plan a flip must show, derived from the
 * topology (the engine test runs the whole rehearsal).
 */
import { expect } from "chai";
import { flipPlan, parseRehearsalArgs } from "../../scripts/rehearse";

describe("npm run rehearse", () => {
    it("takes a profile and, optionally, how long each emulated deploy takes, or the real server", () => {
        expect(parseRehearsalArgs(["unified"])).to.deep.equal({ to: "unified", deploySeconds: 1, real: false });
        expect(parseRehearsalArgs(["single", "--deploy-seconds", "0"])).to.deep.equal({ to: "single", deploySeconds: 0, real: false });
        expect(parseRehearsalArgs(["unified", "--real"])).to.deep.equal({ to: "unified", deploySeconds: 1, real: true });
        expect(() => parseRehearsalArgs(["unified", "--real", "--deploy-seconds", "2"])).to.throw("--deploy-seconds paces the emulator's deploys; the real CapRover (--real) takes the time its deploys take");
        expect(() => parseRehearsalArgs([])).to.throw("no profile given\nusage: npm run rehearse -- <profile> [--deploy-seconds D | --real]   (profiles: split, essential, unified, single)");
        expect(() => parseRehearsalArgs(["quad"])).to.throw('unknown profile "quad"');
        expect(() => parseRehearsalArgs(["unified", "--deploy-seconds", "-1"])).to.throw('unknown or bad argument "--deploy-seconds"');
        expect(() => parseRehearsalArgs(["unified", "--fast"])).to.throw('unknown or bad argument "--fast"');
    });

    it("expects from a flip exactly the topology's difference: services leave or arrive with their image, a new role updates in place", () => {
        expect(flipPlan("split", "unified")).to.deep.equal([
            "delete App::celerybeat",
            "delete App::flower",
            "delete ServiceImage::celerybeat",
            "delete ServiceImage::flower",
            "update App::celery",
        ]);
        expect(flipPlan("unified", "split")).to.deep.equal([
            "create App::celerybeat",
            "create App::flower",
            "create ServiceImage::celerybeat",
            "create ServiceImage::flower",
            "update App::celery",
        ]);
        expect(flipPlan("split", "essential")).to.deep.equal(["delete App::flower", "delete ServiceImage::flower"]);
        expect(flipPlan("unified", "single")).to.deep.equal(["delete App::celery", "delete ServiceImage::celery", "update App::web"]);
    });

    it("expects a stack that builds to build, drop or rebuild (a new target) each service's image too", () => {
        expect(flipPlan("split", "unified", true)).to.deep.equal([
            "delete App::celerybeat",
            "delete App::flower",
            "delete Image::celerybeat",
            "delete Image::flower",
            "delete ServiceImage::celerybeat",
            "delete ServiceImage::flower",
            "update App::celery",
            "update Image::celery",
        ]);
        expect(flipPlan("split", "essential", true)).to.deep.equal(["delete App::flower", "delete Image::flower", "delete ServiceImage::flower"]);
    });
});
