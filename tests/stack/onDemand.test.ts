/**
 * Flower on demand through the whole program: the committed prod (promoting dev's images) under
 * every profile gains exactly Flower's resources while `site:onDemand: [flower]` is within its time,
 * and loses exactly those when the setting goes or expires. Nothing else moves: not the other
 * services, not the cleanup workflow of the app repository.
 */
import { expect } from "chai";
import { RawConfig } from "../../config/reader";
import { PROFILE_NAMES } from "../../config/topology";
import { Registered, diffResources, referencedStacks, resolve, shortUrn } from "../support/mocks";
import { profileOverrides } from "../support/github";
import { FLOWER_RESOURCES, devRelease, utcIn } from "../support/onDemand";
import { runSite } from "../support/site";

/** Flower's resources under a profile without it: its app, image, re-tag and two environment secrets. */

describe("Flower on demand (prod, promoting dev's images, every profile)", () => {
    /** Dev runs (and so deploys) the profile prod runs, and builds Flower's image for it. */
    const devRuns = async (profile: string) => (referencedStacks.dev = { release: await devRelease(profile) });
    after(() => delete referencedStacks.dev);

    const prod = async (overrides: RawConfig): Promise<{ resources: Registered[]; onDemand: unknown }> => {
        const { resources, outputs } = await runSite("prod", overrides);
        return { resources, onDemand: await resolve(outputs.onDemand) };
    };

    for (const profile of PROFILE_NAMES) {
        it(`${profile}: opening adds exactly Flower's app, image, re-tag and secrets (or nothing where the profile runs it); closing is the exact inverse`, async () => {
            await devRuns(profile);
            const base = await prod(profileOverrides(profile));
            const until = utcIn(60);
            const open = await prod({ ...profileOverrides(profile), onDemand: ["flower"], onDemandUntil: until });
            const opened = diffResources(base.resources, open.resources);
            expect(opened.added.map(shortUrn).sort(), "added").to.deep.equal(profile === "split" ? [] : FLOWER_RESOURCES);
            expect(opened.removed, "removed").to.deep.equal([]);
            expect(opened.changed, "changed").to.deep.equal({});
            expect(open.onDemand).to.deep.equal({ services: ["flower"], until });

            const closed = await prod(profileOverrides(profile));
            const back = diffResources(open.resources, closed.resources);
            expect({ added: back.removed, removed: back.added, changed: back.changed }, "the inverse").to.deep.equal(opened);
            expect(diffResources(base.resources, closed.resources)).to.deep.equal({ removed: [], added: [], changed: {} });
            expect(closed.onDemand).to.deep.equal({ services: [], until: undefined });
        });
    }

    it("an expired setting plans what removing it plans: the sweep needs no change of configuration", async () => {
        await devRuns("unified");
        const open = await prod({ topology: "unified", onDemand: ["flower"], onDemandUntil: utcIn(60) });
        const expired = await prod({ topology: "unified", onDemand: ["flower"], onDemandUntil: utcIn(-1) });
        const removed = await prod({ topology: "unified" });
        expect(diffResources(open.resources, expired.resources)).to.deep.equal(diffResources(open.resources, removed.resources));
        expect(diffResources(open.resources, expired.resources).removed.map(shortUrn).sort()).to.deep.equal(FLOWER_RESOURCES);
        expect(expired.onDemand).to.deep.equal({ services: [], until: undefined });
    });
});
