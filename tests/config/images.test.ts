/**
 * The images section of the configuration: registry, build, and where a stack that does not build
 * takes its images from (promotion, rollback); each bad input rejected with a message naming the
 * key, the value and what is accepted.
 */
import { expect } from "chai";
import { ConfigError } from "../../config/reader";
import { parseSiteConfig } from "../../config/site";
import { CI_ENV, problems, stackConfig, stackRaw } from "../support/stacks";

const digest = (c: string) => `ghcr.io/aaronspindler/aaronspindler.com-x@sha256:${c.repeat(64)}`;

describe("images configuration", () => {
    it("configures prod to promote dev's images into a reviewer-gated environment", () => {
        const prod = stackConfig("prod");
        expect(prod.build.enabled).to.equal(false);
        expect(prod.build.release).to.deep.equal({ promoteFrom: "dev", releaseTag: undefined, retag: true });
        expect(prod.githubSide).to.include({ environment: "production", workflowBranch: "main" });
        expect(prod.githubSide.requiredReviewers).to.deep.equal(["aaronspindler"]);
    });

    it("accepts a registry on 127.0.0.1 for builds on this machine: its server, no credentials needed to push", () => {
        const ci = { ...CI_ENV, pushing: true, GITHUB_TOKEN: "test-only-github-token" };
        const local = parseSiteConfig("dev", stackRaw("dev", { imagePrefix: "127.0.0.1:5055/site/app", builder: "site-local" }), ci);
        expect(local.registry).to.include({ server: "127.0.0.1:5055", imagePrefix: "127.0.0.1:5055/site/app" });
        // CI's GitHub token is GHCR's credential, never handed to a loopback registry; GHCR still gets it.
        expect(local.registry.token).to.equal(undefined);
        expect(parseSiteConfig("dev", stackRaw("dev"), ci).registry.token).to.equal("test-only-github-token");
        expect(local.build.builder).to.equal("site-local");
        expect(problems({ imagePrefix: "127.0.0.2:5055/site/app" })).to.include("or 127.0.0.1:<port>/<owner>/<name> for a registry on this machine");
    });

    describe("rejects, naming the key, the value and what is accepted", () => {
        it("promotion settings on a stack that builds, or a promotion from itself", () => {
            expect(problems({ promoteFrom: "prod" }, "dev")).to.include("site:promoteFrom: applies to a stack that deploys given images; this stack builds them");
            expect(problems({ releaseTag: "abc1234" }, "dev")).to.include("site:releaseTag: applies to a stack that deploys given images");
            expect(problems({ retagPromoted: true }, "dev")).to.include("site:retagPromoted: applies to a stack that deploys given images");
            expect(problems({ promoteFrom: "org/site/prod" })).to.include("site:promoteFrom: names this stack (prod)");
        });

        it("a malformed stack name or rollback tag", () => {
            expect(problems({ promoteFrom: "a/b/c/d" })).to.include('site:promoteFrom: "a/b/c/d" is not accepted; expected a stack name');
            expect(problems({ releaseTag: "-bad:tag" })).to.include('site:releaseTag: "-bad:tag" is not accepted; expected the commit SHA of an earlier build');
        });

        it("building off with neither digests, a source stack nor a tag", () => {
            expect(problems({ promoteFrom: "" })).to.include("site:imageDigests.web: is required when site:build is false").and.include("or set site:promoteFrom or site:releaseTag");
        });

        it("a malformed image prefix", () => {
            for (const bad of ["docker.io/aaronspindler/site", "ghcr.io/AaronSpindler/site", "ghcr.io/aaronspindler", "ghcr.io/aaronspindler/site:latest"]) {
                expect(problems({ imagePrefix: bad })).to.include(`site:imagePrefix: "${bad}" is not accepted; expected ghcr.io/<owner>/<name> in lowercase`);
            }
        });

        it("building off without a digest for every service, or a malformed digest", () => {
            expect(problems({ build: false }, "dev")).to.include("site:imageDigests.web: is required when site:build is false");
            expect(problems({ build: false, imageDigests: { web: "ghcr.io/x/y-web:latest" } })).to.include(
                'site:imageDigests.web: "ghcr.io/x/y-web:latest" is not accepted; expected an image by digest',
            );
            expect(problems({ imageDigests: { redis: `ghcr.io/x/y@sha256:${"a".repeat(64)}` } })).to.include(
                'site:imageDigests.redis: "redis" is not accepted; expected a service name: web, celery, celerybeat, flower',
            );
            expect(problems({ imageDigests: { celery: { "celery-beat": `ghcr.io/x/y@sha256:${"a".repeat(64)}` } } })).to.include(
                'site:imageDigests.celery: key "celery-beat" is not accepted; expected a Dockerfile target celery is built from: celery-worker, celery-unified',
            );
            expect(problems({ imageDigests: { celery: { "celery-unified": "ghcr.io/x/y:latest" } } })).to.include(
                'site:imageDigests.celery.celery-unified: "ghcr.io/x/y:latest" is not accepted; expected an image by digest',
            );
            expect(problems({ build: false, promoteFrom: "", imageDigests: { web: digest("1"), celerybeat: digest("3"), flower: digest("4"), celery: { "celery-unified": digest("5") } } })).to.include(
                "site:imageDigests.celery: is required when site:build is false: the image to deploy for celery (target celery-worker), as <image>@sha256:<64 hex digits>, or per target as site:imageDigests.celery.celery-worker",
            );
        });

        it("nothing for pinned images of services or targets the profile does not run: they are kept aside (inactive)", () => {
            const pins = { web: digest("1"), celery: { "celery-worker": digest("2"), "celery-unified": digest("5") }, celerybeat: digest("3"), flower: digest("4") };
            const unified = stackConfig("prod", { topology: "unified", build: false, promoteFrom: "", retagPromoted: false, imageDigests: pins });
            expect(unified.build.digests).to.deep.equal({ web: digest("1"), celery: digest("5") });
            expect(unified.inactive).to.deep.equal(["site:imageDigests.celery.celery-worker", "site:imageDigests.celerybeat", "site:imageDigests.flower"]);
            const split = stackConfig("prod", { topology: "split", build: false, promoteFrom: "", retagPromoted: false, imageDigests: pins });
            expect(split.build.digests).to.deep.equal({ web: digest("1"), celery: digest("2"), celerybeat: digest("3"), flower: digest("4") });
            expect(split.inactive).to.deep.equal(["site:imageDigests.celery.celery-unified"]);
        });

        it("a release profile that does not exist, or on a stack that does not build", () => {
            expect(problems({ releaseProfiles: ["split", "quad"] }, "dev")).to.include('site:releaseProfiles[1]: "quad" is not accepted; expected one of split, essential, unified, single');
            expect(problems({ releaseProfiles: ["single"] }, "dev")).to.include('site:releaseProfiles[0]: "single" needs site:singleTarget');
            expect(problems({ build: false, releaseProfiles: ["split"], imageDigests: {} }, "dev")).to.include("site:releaseProfiles[0]: applies to a stack that builds images");
        });

        it("pushing images without registry credentials", () => {
            const ci = { ...CI_ENV, pushing: true };
            expect(() => parseSiteConfig("dev", stackRaw("dev"), ci)).to.throw(ConfigError, "site:registryToken: is required to push images");
            expect(() => parseSiteConfig("dev", stackRaw("dev"), { ...ci, GITHUB_TOKEN: "t" })).not.to.throw();
            expect(() => parseSiteConfig("dev", stackRaw("dev", { registryToken: "t" }), ci)).not.to.throw();
        });

        it("a malformed builder name", () => {
            expect(problems({ builder: "site local" }, "dev")).to.include('site:builder: "site local" is not accepted; expected a buildx builder instance name');
        });

        it("a non-positive retention", () => {
            expect(problems({ keepVersions: 0 })).to.include("site:keepVersions: 0 is not accepted; expected a positive integer");
        });
    });
});
