/**
 * The rehearsal's own logic: its command line, and the plan a flip must show, derived from the
 * topology (the engine test runs the whole rehearsal).
 */
import { expect } from "chai";
import { flipPlan, parseRehearsalArgs } from "../../scripts/rehearse";

describe("npm run rehearse", () => {
    it("takes a profile and, optionally, how long each emulated deploy takes", () => {
        expect(parseRehearsalArgs(["unified"])).to.deep.equal({ to: "unified", deploySeconds: 1 });
        expect(parseRehearsalArgs(["single", "--deploy-seconds", "0"])).to.deep.equal({ to: "single", deploySeconds: 0 });
        expect(() => parseRehearsalArgs([])).to.throw("no profile given\nusage: npm run rehearse -- <profile> [--deploy-seconds D]   (profiles: split, essential, unified, single)");
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
});
