import { expect } from "chai";
import { runSite } from "../../support/site";
import { PROD_BUILDS } from "../../support/stacks";
import { Registered, resolve } from "../../support/mocks";

const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;

function byName(resources: Registered[], type: string): Record<string, Registered> {
    return Object.fromEntries(resources.filter((r) => r.type === type).map((r) => [r.name, r]));
}

describe("ServiceImage", () => {
    it("builds each active service's target and pushes it to GHCR with the SHA and latest", async () => {
        const { resources } = await runSite("prod", PROD_BUILDS);
        const images = byName(resources, "docker-build:index:Image");
        expect(Object.keys(images).sort()).to.deep.equal(["celery", "celerybeat", "flower", "web"]);
        const web = images.web.inputs;
        expect(web.target).to.equal("runtime-full");
        expect(web.tags).to.deep.equal([
            "ghcr.io/aaronspindler/aaronspindler.com-web:0123456789abcdef0123456789abcdef01234567",
            "ghcr.io/aaronspindler/aaronspindler.com-web:latest",
            // The exact build of a target, what a rollback resolves.
            "ghcr.io/aaronspindler/aaronspindler.com-web:runtime-full-0123456789abcdef0123456789abcdef01234567",
        ]);
        expect(web.platforms).to.deep.equal(["linux/amd64"]);
        expect(web.push).to.equal(true);
        expect(web.buildOnPreview).to.equal(false);
        expect(web.buildArgs).to.deep.equal({ SKIP_JS_BUILD: "0" });
        expect(web.context).to.deep.equal({ location: "app" });
        expect(web.dockerfile).to.deep.equal({ location: "app/deployment/Dockerfile.multistage" });
        expect(images.celerybeat.inputs.target).to.equal("celerybeat");
        expect(images.flower.inputs.buildArgs).to.deep.equal({ SKIP_JS_BUILD: "1" });
    });

    it("reads the registry cache first and the GitHub Actions cache as fallback, writing both with mode=max", async () => {
        const { resources } = await runSite("prod", PROD_BUILDS);
        const celery = byName(resources, "docker-build:index:Image").celery.inputs;
        const ref = "ghcr.io/aaronspindler/aaronspindler.com/cache:main-celery";
        expect(celery.cacheFrom).to.deep.equal([{ registry: { ref } }, { gha: { scope: "main-celery" } }]);
        expect(celery.cacheTo).to.deep.equal([
            { registry: { ref, mode: "max", imageManifest: true, ociMediaTypes: true, ignoreError: true } },
            { gha: { scope: "main-celery", mode: "max", ignoreError: true } },
        ]);
    });

    it("builds with the configured builder, and caches in a registry on 127.0.0.1 only (no GitHub Actions there)", async () => {
        const { resources } = await runSite("dev", { imagePrefix: "127.0.0.1:5055/site/app", builder: "site-local" });
        const web = byName(resources, "docker-build:index:Image").web.inputs;
        expect(web.builder).to.deep.equal({ name: "site-local" });
        expect((web.tags as string[])[0]).to.match(/^127\.0\.0\.1:5055\/site\/app-web:/);
        const ref = "127.0.0.1:5055/site/app/cache:dev-web";
        expect(web.cacheFrom).to.deep.equal([{ registry: { ref } }]);
        expect(web.cacheTo).to.deep.equal([{ registry: { ref, mode: "max", imageManifest: true, ociMediaTypes: true, ignoreError: true } }]);
    });

    it("also builds, for stacks that promote from it, the targets its release profiles run, tagged by target only", async () => {
        const { resources } = await runSite("dev", { topology: "unified", releaseProfiles: ["split"] });
        const images = byName(resources, "docker-build:index:Image");
        expect(Object.keys(images).sort()).to.deep.equal(["celery", "release-celery-worker", "release-celerybeat", "release-flower", "web"]);
        const worker = images["release-celery-worker"].inputs;
        const repo = "ghcr.io/aaronspindler/aaronspindler.com-celery";
        expect(worker.target).to.equal("celery-worker");
        // Never dev's own `latest` or `<sha>`: those name dev's celery-unified image.
        expect(worker.tags).to.deep.equal([`${repo}:celery-worker-0123456789abcdef0123456789abcdef01234567`, `${repo}:celery-worker-latest`]);
        expect(worker.cacheFrom).to.deep.equal([{ registry: { ref: "ghcr.io/aaronspindler/aaronspindler.com/cache:dev-release-celery-worker" } }, { gha: { scope: "dev-release-celery-worker" } }]);
    });

    it("outputs each image by digest, never by tag", async () => {
        const { outputs } = await runSite("prod", PROD_BUILDS);
        const images = (await resolve(outputs.images)) as Record<string, string>;
        for (const [service, ref] of Object.entries(images)) {
            expect(ref).to.match(new RegExp(`^ghcr\\.io/aaronspindler/aaronspindler\\.com-${service}@sha256:[0-9a-f]{64}$`));
        }
    });

    it("passes registry credentials as a secret, from config or the CI token", async () => {
        const { resources } = await runSite("prod", { ...PROD_BUILDS, registryToken: "ghp_notarealtoken" });
        const web = byName(resources, "docker-build:index:Image").web.inputs;
        // The engine receives the whole list as a secret because the password is one.
        expect(web.registries).to.deep.equal({ secret: [{ address: "ghcr.io", username: "aaronspindler", password: "ghp_notarealtoken" }] });
        const none = await runSite("prod", PROD_BUILDS);
        expect(byName(none.resources, "docker-build:index:Image").web.inputs.registries).to.deep.equal([]);
    });

    it("skips building when told to and deploys the given digests", async () => {
        const digests = { web: `ghcr.io/aaronspindler/aaronspindler.com-web@${DIGEST("a")}`, celery: `ghcr.io/aaronspindler/aaronspindler.com-celery@${DIGEST("b")}` };
        const { resources, outputs } = await runSite("dev", { topology: "unified", build: false, imageDigests: digests });
        expect(resources.filter((r) => r.type === "docker-build:index:Image")).to.deep.equal([]);
        expect(await resolve(outputs.images)).to.deep.equal(digests);
    });
});
