/**
 * Dev proves what prod runs: prod promotes a release only if dev ran it under prod's profile and
 * deployed it. A refusal names both stacks and comes before prod registers anything of its own (the
 * one registration is the read of dev's outputs). A flip is two one-line commits, dev's first.
 */
import { expect } from "chai";
import { RawConfig } from "../../config/reader";
import { checkPromotion } from "../../components/images/promotionCheck";
import { ReleaseManifest } from "../../components/images/imageRelease";
import { referencedStacks, registeredResources, resolve } from "../support/mocks";
import { runSite } from "../support/site";

/** Runs dev with `overrides` and publishes its release as stack dev's output. */
async function devRan(overrides: RawConfig = {}): Promise<ReleaseManifest> {
    const release = (await resolve((await runSite("dev", overrides)).outputs.release)) as ReleaseManifest;
    referencedStacks.dev = { release };
    return release;
}

/** Runs prod with `overrides`: the error message it stops with and what it registered, or "" and its resources. */
async function prod(overrides: RawConfig = {}, preview = false): Promise<{ error: string; types: string[] }> {
    try {
        const { resources } = await runSite("prod", overrides, preview);
        return { error: "", types: resources.map((r) => r.type) };
    } catch (e) {
        return { error: (e as Error).message, types: registeredResources().map((r) => r.type) };
    }
}

describe("dev proves what prod runs", () => {
    after(() => delete referencedStacks.dev);

    it("prod refuses a release dev ran under another profile, naming both stacks, before registering anything", async () => {
        await devRan({ topology: "unified" });
        const { error, types } = await prod();
        expect(error).to.equal(
            "site:promoteFrom: stack prod runs profile split and promotes stack dev's release, but stack dev last ran and deployed profile unified: prod deploys only what dev ran. " +
                "Flip dev first, then prod: the same site:topology in Pulumi.dev.yaml and Pulumi.prod.yaml, one commit each, dev's deployed before prod's. " +
                "To deploy images dev builds without running them, add split to dev's site:releaseProfiles (an opt-out).",
        );
        // The read of dev's outputs, and nothing of prod's own: no image, no app, no secret, no workflow file.
        expect(types).to.deep.equal(["pulumi:pulumi:StackReference"]);
        // A preview refuses it too: the plan it would show deploys images dev never ran.
        expect((await prod({}, true)).error).to.include("but stack dev last ran and deployed profile unified");
    });

    it("prod refuses a release dev built but never deployed (dev without its CapRover apps)", async () => {
        expect(await devRan({ caprover: false })).to.deep.include({ profile: "split", deployed: false });
        const { error, types } = await prod();
        expect(error).to.include("site:promoteFrom: stack prod runs profile split and promotes stack dev's release, but stack dev built profile split without deploying it");
        expect(types).to.deep.equal(["pulumi:pulumi:StackReference"]);
    });

    it("prod refuses a release that does not say which profile dev ran (exported by an older program)", async () => {
        const { profile: _, ...older } = await devRan();
        referencedStacks.dev = { release: older };
        expect((await prod()).error).to.include("but stack dev's release does not say which profile it ran (an older program exported it). Deploy dev again, then prod.");
    });

    it("the flip is two one-line commits, dev first: prod follows only once dev has run the new profile", async () => {
        // As committed: both split.
        await devRan();
        expect((await prod()).error).to.equal("");
        // Prod first is refused (dev still runs split) ...
        expect((await prod({ topology: "unified" })).error).to.include("stack prod runs profile unified and promotes stack dev's release, but stack dev last ran and deployed profile split");
        // ... dev first: commit 1 flips dev, which deploys unified; prod, still split, now waits for its own commit.
        await devRan({ topology: "unified" });
        expect((await prod()).error).to.include("stack dev last ran and deployed profile unified");
        // Commit 2 flips prod.
        const { error, types } = await prod({ topology: "unified" });
        expect(error).to.equal("");
        expect(types.filter((t) => t === "caprover:index:App")).to.have.length(2);
        // And back the same way.
        await devRan();
        expect((await prod()).error).to.equal("");
    });

    it("accepts the explicit opt-out (dev's site:releaseProfiles), with a warning that the images never ran", async () => {
        const release = await devRan({ topology: "unified", releaseProfiles: ["split"] });
        expect((await prod()).error).to.equal("");
        expect(checkPromotion(release, { stack: "prod", from: "dev", profile: "split", preview: false })).to.deep.equal([
            "site:promoteFrom: stack prod runs profile split, which stack dev does not run (it ran unified); it deploys images dev built for it only (dev's site:releaseProfiles opt-out), so some never ran before production",
        ]);
        expect(checkPromotion(release, { stack: "prod", from: "dev", profile: "unified", preview: false })).to.deep.equal([]);
    });

    it("a rollback tag or pinned images take nothing from dev, so nothing is checked (the reference stays, so a rollback changes images only)", async () => {
        await devRan({ topology: "unified" });
        const rollback = await prod({ releaseTag: "abc1234" });
        expect(rollback.error).to.equal("");
        expect(rollback.types).to.include("pulumi:pulumi:StackReference");
        const pins = Object.fromEntries(["web", "celery", "celerybeat", "flower"].map((s, i) => [s, `ghcr.io/aaronspindler/aaronspindler.com-${s}@sha256:${String(i + 1).repeat(64)}`]));
        const pinned = await prod({ imageDigests: pins });
        expect(pinned.error).to.equal("");
        expect(pinned.types).to.include("pulumi:pulumi:StackReference");
    });
});
