/**
 * `site:canary`: the canary through the broker the deploy asks once a release's apps run
 * (config/canary.ts). On by default where the profile runs web and a worker on CapRover; every bad
 * field refused naming it and what is accepted, before anything is registered.
 */
import { expect } from "chai";
import { BEAT_MAX_AGE_SECONDS, CANARY_PATH } from "../../config/canary";
import { problems, stackConfig } from "../support/stacks";

describe("site:canary", () => {
    it("is on by default where web and a worker run, beat checked where beat runs (split, unified, single), off without CapRover", () => {
        expect(stackConfig("prod", { topology: "split" }).canary).to.deep.equal({ active: true, path: CANARY_PATH, beatMaxAgeSeconds: BEAT_MAX_AGE_SECONDS });
        expect(stackConfig("prod", { topology: "unified" }).canary).to.deep.equal({ active: true, path: "/canary/", beatMaxAgeSeconds: 120 });
        expect(stackConfig("prod", { topology: "single", singleTarget: "all-in-one" }).canary.active).to.equal(true);
        expect(stackConfig("prod", { topology: "split", caprover: false }).canary.active).to.equal(false);
    });

    it("takes a stack's path and bound; enabled false turns it off; 0 leaves beat unchecked", () => {
        expect(stackConfig("prod", { canary: { path: "/ops/canary", beatMaxAgeSeconds: 300 } }).canary).to.deep.equal({ active: true, path: "/ops/canary", beatMaxAgeSeconds: 300 });
        expect(stackConfig("prod", { canary: { enabled: false } }).canary.active).to.equal(false);
        expect(stackConfig("prod", { canary: { beatMaxAgeSeconds: 0 } }).canary.beatMaxAgeSeconds).to.equal(0);
    });

    it("refuses unknown fields and bad values, naming the field and what is accepted", () => {
        const found = (canary: unknown) => problems({ canary });
        expect(found({ enable: false })).to.include("site:canary.enable: unknown field; accepted fields are enabled, path, beatMaxAgeSeconds");
        expect(found({ enabled: "no" })).to.include('site:canary.enabled: "no" is not accepted; expected true or false (false: the site serves no canary, and a release is done once each app passed its own gate)');
        expect(found({ path: "canary/" })).to.include('site:canary.path: "canary/" is not accepted; expected an absolute URL path of web, e.g. /canary/');
        for (const [v, shown] of [[-1, "-1"], [1.5, "1.5"], ["120", '"120"'], [86401, "86401"]] as const) {
            expect(found({ beatMaxAgeSeconds: v }), shown).to.include(`site:canary.beatMaxAgeSeconds: ${shown} is not accepted; expected a whole number of seconds from 0 to 86400 (0: beat's heartbeat is not checked), e.g. 120`);
        }
    });
});
