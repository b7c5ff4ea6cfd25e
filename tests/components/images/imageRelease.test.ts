/**
 * Promotion and rollback: prod builds nothing and deploys exactly the digests dev built (read
 * through a StackReference); a rollback tag or pinned digests deploy older images instead; the
 * deployed digests are re-tagged in GHCR.
 */
import { expect } from "chai";
import { runSite } from "../../support/site";
import { ReleaseManifest, promotedRef } from "../../../components/images/imageRelease";
import { deploySite } from "../../../stack/site";
import { parseSiteConfig } from "../../../config/site";
import { Registered, fakeDigest, referencedStacks, resolve, runProgram } from "../../support/mocks";
import { stackConfig, CI_ENV, stackRaw } from "../../support/stacks";
import { RawConfig } from "../../../config/reader";

const REPO = "ghcr.io/aaronspindler/aaronspindler.com";
const DEV_SHA = "0123456789abcdef0123456789abcdef01234567";
const older = (c: string) => `sha256:${c.repeat(64)}`;

/** Runs dev (with `overrides`) and publishes its `release` output as stack `dev`'s, for prod to read. */
async function deployDev(overrides: RawConfig = {}): Promise<ReleaseManifest> {
    const { outputs } = await runSite("dev", overrides);
    const release = (await resolve(outputs.release)) as ReleaseManifest;
    referencedStacks.dev = { release };
    return release;
}

async function deployProd(overrides: RawConfig = {}): Promise<{ resources: Registered[]; images: Record<string, string> }> {
    const { resources, outputs } = await runSite("prod", overrides);
    return { resources, images: (await resolve(outputs.images)) as Record<string, string> };
}

const ofType = (resources: Registered[], type: string) => resources.filter((r) => r.type === type);

describe("promotion and rollback", () => {
    let dev: ReleaseManifest;
    // Dev runs prod's profile, as committed: promotion moves the images of one topology, built and run in dev.
    before(async () => (dev = await deployDev()));
    after(() => delete referencedStacks.dev);

    it("dev exports what it built and ran: targets, digests, the commit and the profile it deployed", () => {
        expect(dev.commitSha).to.equal(DEV_SHA);
        expect(dev).to.deep.include({ profile: "split", deployed: true, releaseProfiles: [], alternates: [] });
        expect(Object.keys(dev.images)).to.deep.equal(["web", "celery", "celerybeat", "flower"]);
        expect(dev.images.celery.target).to.equal("celery-worker");
        for (const { ref } of Object.values(dev.images)) expect(ref).to.match(/@sha256:[0-9a-f]{64}$/);
    });

    it("prod deploys exactly dev's digests, through a StackReference to dev, and builds nothing", async () => {
        const { resources, images } = await deployProd();
        expect(images).to.deep.equal(Object.fromEntries(Object.entries(dev.images).map(([s, i]) => [s, i.ref])));
        expect(ofType(resources, "docker-build:index:Image")).to.deep.equal([]);
        // dev's release, and prod's own last one (the running release's Celery task names).
        expect(ofType(resources, "pulumi:pulumi:StackReference").map((r) => r.inputs.name)).to.deep.equal(["dev", "organization/site/prod"]);
    });

    it("prod re-tags each promoted digest in GHCR as prod and as prod-<commit it was built from>", async () => {
        const { resources } = await deployProd();
        const retags = ofType(resources, "command:local:Command");
        expect(retags.map((r) => r.name)).to.have.members(["web-retag", "celery-retag", "celerybeat-retag", "flower-retag"]);
        const web = retags.find((r) => r.name === "web-retag")!.inputs;
        expect(web.create).to.include("docker buildx imagetools create");
        const env = web.environment as Record<string, unknown>;
        expect(env.SOURCE_IMAGE).to.equal(dev.images.web.ref);
        // Not plain `<sha>`: dev owns that tag, and under another profile it names another target.
        expect(env.TARGET_TAGS).to.equal(`${REPO}-web:prod ${REPO}-web:prod-${DEV_SHA}`);
        // Values reach the script through the environment only.
        expect(web.create).not.to.include(dev.images.web.ref);
    });

    it("a rollback tag deploys the images that commit built for each target, each resolved to its digest, not dev's", async () => {
        const { resources, images } = await deployProd({ releaseTag: "abc1234" });
        expect(images).to.deep.equal({
            web: `${REPO}-web@${fakeDigest(`${REPO}-web:runtime-full-abc1234`)}`,
            celery: `${REPO}-celery@${fakeDigest(`${REPO}-celery:celery-worker-abc1234`)}`,
            celerybeat: `${REPO}-celerybeat@${fakeDigest(`${REPO}-celerybeat:celerybeat-abc1234`)}`,
            flower: `${REPO}-flower@${fakeDigest(`${REPO}-flower:flower-abc1234`)}`,
        });
        for (const [s, ref] of Object.entries(images)) expect(ref).not.to.equal(dev.images[s].ref);
        // The reference to dev stays in the plan (its images unused): rolling back changes images, not plumbing.
        expect(ofType(resources, "pulumi:pulumi:StackReference").map((r) => r.inputs.name)).to.deep.equal(["dev", "organization/site/prod"]);
        expect(ofType(resources, "docker-build:index:Image")).to.deep.equal([]);
        // `prod` moves back to the rolled-back digest.
        const web = ofType(resources, "command:local:Command").find((r) => r.name === "web-retag")!.inputs.environment as Record<string, unknown>;
        expect(web.SOURCE_IMAGE).to.equal(images.web);
        expect(web.TARGET_TAGS).to.equal(`${REPO}-web:prod ${REPO}-web:prod-abc1234`);
    });

    it("pinned digests win over dev's, service by service", async () => {
        const pinned = `${REPO}-celery@${older("e")}`;
        const { images } = await deployProd({ imageDigests: { celery: pinned } });
        expect(images.celery).to.equal(pinned);
        expect(images.web).to.equal(dev.images.web.ref);
    });

    it("with the opt-out (dev runs unified and builds split's targets for release), prod (split) promotes those", async () => {
        const unified = await deployDev({ topology: "unified", releaseProfiles: ["split"] });
        expect(unified).to.deep.include({ profile: "unified", releaseProfiles: ["split"] });
        expect(unified.images.celery.target).to.equal("celery-unified");
        expect(unified.alternates!.map((a) => [a.service, a.target])).to.deep.equal([
            ["celery", "celery-worker"],
            ["celerybeat", "celerybeat"],
            ["flower", "flower"],
        ]);
        const { images } = await deployProd();
        expect(images.web).to.equal(unified.images.web.ref);
        for (const a of unified.alternates!) expect(images[a.service]).to.equal(a.ref);
        dev = await deployDev();
    });

    it("refuses to promote an image built from another target (dev without release profiles)", async () => {
        const unified = await deployDev({ topology: "unified" });
        const [web, celery] = stackConfig("prod").services;
        expect(promotedRef(unified, web, "dev")).to.equal(unified.images.web.ref);
        expect(() => promotedRef(unified, celery, "dev")).to.throw(
            "site:promoteFrom: stack dev built celery from target celery-unified, this stack runs celery-worker; add this stack's profile to dev's site:releaseProfiles",
        );
        expect(() => promotedRef(unified, stackConfig("prod").services[2], "dev")).to.throw("stack dev exports no image for celerybeat");
        expect(() => promotedRef({ images: { web: { target: "runtime-full", ref: `${REPO}-web:latest` } } }, web, "dev")).to.throw("not an image by digest");
        dev = await deployDev();
    });

    it("a preview before dev has deployed shows prod's plan with the images unknown; `up` stops with the reason", async () => {
        const saved = referencedStacks.dev;
        referencedStacks.dev = {};
        try {
            const preview = await runSite("prod", {}, true);
            expect(ofType(preview.resources, "caprover:index:App").map((r) => r.name)).to.have.members(["web", "celery", "celerybeat", "flower"]);
            let failure = "";
            try {
                const { outputs } = await runSite("prod");
                await resolve(outputs.images);
            } catch (e) {
                failure = String(e);
            }
            expect(failure).to.include("site:promoteFrom: stack prod runs profile split and promotes stack dev's release, but stack dev has exported no release yet. Deploy dev first (pulumi up --stack dev).");
        } finally {
            referencedStacks.dev = saved;
        }
    });

    it("a rollback preview on a machine without the docker plugin shows the images unknown instead of failing; `up` ignores that", async () => {
        const config = parseSiteConfig("prod", stackRaw("prod", { releaseTag: "abc1234" }), { ...CI_ENV, unavailablePlugins: ["docker", "command"] });
        const preview = await runProgram("prod", () => deploySite(config), true);
        // Unknown, not looked up: with the docker plugin the same preview resolves each tag to a digest.
        const images = (await resolve(preview.outputs.images)) as Record<string, unknown>;
        expect(typeof images.web).to.not.equal("string");
        const withDocker = await runProgram("prod", () => deploySite(parseSiteConfig("prod", stackRaw("prod", { releaseTag: "abc1234" }), CI_ENV)), true);
        expect(((await resolve(withDocker.outputs.images)) as Record<string, string>).web).to.match(/-web@sha256:[0-9a-f]{64}$/);
        expect(ofType(preview.resources, "caprover:index:App")).to.have.length(4);
        // `pulumi up` never leaves parts out: the same machine would need the plugin.
        const up = parseSiteConfig("prod", stackRaw("prod", { releaseTag: "abc1234" }), { ...CI_ENV, pushing: true, GITHUB_TOKEN: "test-only", unavailablePlugins: ["docker"] });
        expect(up.previewWithout).to.deep.equal([]);
    });
});
