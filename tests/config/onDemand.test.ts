/**
 * `site:onDemand` and `site:onDemandUntil`: Flower added to a profile for a while, left out once the
 * time has passed, and each bad input rejected naming the key, the value and what is accepted.
 */
import { expect } from "chai";
import { parseSiteConfig } from "../../config/site";
import { CI_ENV, problems, stackRaw } from "../support/stacks";
import { utcIn } from "../support/onDemand";

const NOW = new Date("2025-06-01T12:00:00Z");
const prod = (overrides: Record<string, unknown>) => parseSiteConfig("prod", stackRaw("prod", overrides), { ...CI_ENV, now: NOW });
const names = (overrides: Record<string, unknown>) => prod(overrides).services.map((s) => `${s.name}${s.onDemand ? " (on demand)" : ""}`);

describe("services on demand", () => {
    it("adds Flower to a profile without it, in its own role and under its own name, until the given time", () => {
        const config = prod({ topology: "essential", onDemand: ["flower"], onDemandUntil: "2025-06-01T13:00:00Z" });
        expect(names({ topology: "essential", onDemand: ["flower"], onDemandUntil: "2025-06-01T13:00:00Z" })).to.deep.equal(["web", "celery", "celerybeat", "flower (on demand)"]);
        const flower = config.services.find((s) => s.name === "flower")!;
        expect(flower).to.include({ role: "flower", target: "flower", exposure: "http-auth", appName: "flower", secretStem: "CAPROVER_FLOWER", onDemand: true });
        expect(config.onDemand).to.deep.equal({ requested: ["flower"], until: "2025-06-01T13:00:00Z", live: ["flower"], expired: false });
        // The engine passes lists as JSON strings.
        expect(names({ topology: "unified", onDemand: '["flower"]', onDemandUntil: "2025-06-01T12:30Z" })).to.deep.equal(["web", "celery", "flower (on demand)"]);
    });

    it("leaves it out once the time has passed, so the next `pulumi up` removes it", () => {
        const config = prod({ topology: "essential", onDemand: ["flower"], onDemandUntil: "2025-06-01T12:00:00Z" });
        expect(config.services.map((s) => s.name)).to.deep.equal(["web", "celery", "celerybeat"]);
        expect(config.onDemand).to.include({ expired: true }).and.deep.include({ live: [] });
    });

    it("adds nothing to a profile that runs it already, and brings back one turned off", () => {
        expect(names({ topology: "split", onDemand: ["flower"], onDemandUntil: "2025-06-01T13:00:00Z" })).to.deep.equal(["web", "celery", "celerybeat", "flower"]);
        expect(names({ topology: "split", services: { flower: { off: true } }, onDemand: ["flower"], onDemandUntil: "2025-06-01T13:00:00Z" })).to.deep.equal([
            "web",
            "celery",
            "celerybeat",
            "flower (on demand)",
        ]);
    });

    it("checks the time against the clock when none is given", () => {
        const raw = stackRaw("prod", { topology: "essential", onDemand: ["flower"], onDemandUntil: utcIn(30) });
        expect(parseSiteConfig("prod", raw, CI_ENV).onDemand.live).to.deep.equal(["flower"]);
    });

    describe("rejects, naming the key, the value and what is accepted", () => {
        it("a service that cannot run on demand, or one listed twice", () => {
            const until = utcIn(30);
            expect(problems({ topology: "essential", onDemand: ["celerybeat"], onDemandUntil: until })).to.include(
                'site:onDemand[0]: "celerybeat" is not accepted; expected services that can run on demand: flower',
            );
            expect(problems({ topology: "essential", onDemand: ["flower", "flower"], onDemandUntil: until })).to.include('site:onDemand[1]: "flower" is listed twice');
            expect(problems({ onDemand: "flower" })).to.include('site:onDemand: "flower" is not accepted; expected services that can run on demand: flower');
        });

        it("no expiry, a malformed one, one too far ahead, or one without services", () => {
            expect(problems({ topology: "essential", onDemand: ["flower"] })).to.include("site:onDemandUntil: is required by site:onDemand (on demand is temporary); expected a UTC time");
            for (const bad of ["tomorrow", "2025-06-01 13:00", "2025-06-01T13:00:00+02:00", "2025-13-45T99:99Z"]) {
                expect(problems({ topology: "essential", onDemand: ["flower"], onDemandUntil: bad }), bad).to.include(`site:onDemandUntil: "${bad}" is not accepted; expected a UTC time, e.g. 2025-06-01T14:30:00Z`);
            }
            expect(problems({ topology: "essential", onDemand: ["flower"], onDemandUntil: utcIn(241) })).to.include("is more than 240 minutes ahead; on demand is temporary");
            expect(problems({ onDemandUntil: utcIn(30) })).to.include("site:onDemandUntil: applies only with site:onDemand");
        });

        it("on a stack that builds its images", () => {
            expect(problems({ onDemand: ["flower"], onDemandUntil: utcIn(30) }, "dev")).to.include(
                "site:onDemand: applies to a stack that deploys given or promoted images (site:build false, e.g. prod)",
            );
        });
    });
});
