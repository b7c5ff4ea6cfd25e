import { expect } from "chai";
import { stringify } from "yaml";
import { cleanupKeepsWhatRuns } from "../src/policies/cleanupKeepsWhatRuns";
import { TYPES } from "../src/resources";
import { app, image, messages, resource, stack } from "./support";

const CONFIG = { rollbackReleases: 2 };
const PREFIX = "ghcr.io/aaronspindler/aaronspindler.com";

/** cleanup-containers.yml as housekeeping.ts generates it: keep N, then untagged ones but 1. */
function cleanupFile(keep: number | undefined, packages: string[] | string = ["aaronspindler.com-web", "aaronspindler.com-celery"]) {
    const common = { "package-name": Array.isArray(packages) ? "${{ matrix.package }}" : packages, "package-type": "container" };
    const workflow = {
        permissions: {},
        jobs: {
            "cleanup-containers": {
                permissions: { packages: "write" },
                strategy: { matrix: { package: Array.isArray(packages) ? packages : ["unused"] } },
                steps: [
                    { uses: "actions/delete-package-versions@e5bc658cc4c965c472efe991f8beea3981499c55", with: { ...common, ...(keep === undefined ? {} : { "min-versions-to-keep": keep }) } },
                    { uses: "actions/delete-package-versions@e5bc658cc4c965c472efe991f8beea3981499c55", with: { ...common, "min-versions-to-keep": 1, "delete-only-untagged-versions": "true" } },
                ],
            },
        },
    };
    return resource(TYPES.repositoryFile, "cleanup-containers", { file: ".github/workflows/cleanup-containers.yml", content: stringify(workflow) }, "dev", "site:github:WorkflowFile");
}

/** A build of `target` pushed to `service`'s package. */
const build = (name: string, service: string, target: string) => resource(TYPES.image, name, { target, tags: [`${PREFIX}-${service}:${target}-latest`] }, "dev", "site:image:ServiceImage");

describe("policy cleanup-keeps-what-runs", () => {
    it("passes the default retention (5) for packages the stack deploys from, one or two targets each", () => {
        const dev = stack([app("web"), app("unified"), build("web", "web", "runtime-full"), build("celery", "celery", "celery-unified"), build("release-celery-worker", "celery", "celery-worker"), cleanupFile(5)]);
        expect(cleanupKeepsWhatRuns.check(dev, CONFIG)).to.deep.equal([]);
        // A stack without a cleanup workflow has nothing to check.
        expect(cleanupKeepsWhatRuns.check(stack([app("web")]), CONFIG)).to.deep.equal([]);
    });

    it("refuses a keep count below the rollback's need, naming the file, the package and that the stack deploys from it", () => {
        expect(messages(cleanupKeepsWhatRuns.check(stack([app("web"), cleanupFile(1, ["aaronspindler.com-web"])]), CONFIG))).to.deep.equal([
            ".github/workflows/cleanup-containers.yml keeps 1 version of package aaronspindler.com-web, which this stack deploys from; a rollback needs at least 2 (2 releases x 1 Dockerfile target pushed there per release): raise site:keepVersions",
        ]);
    });

    it("counts every Dockerfile target the stack pushes into a package per release", () => {
        const twoTargets = stack([app("unified"), build("celery", "celery", "celery-unified"), build("release-celery-worker", "celery", "celery-worker"), cleanupFile(3, ["aaronspindler.com-celery"])]);
        expect(messages(cleanupKeepsWhatRuns.check(twoTargets, CONFIG))).to.deep.equal([
            ".github/workflows/cleanup-containers.yml keeps 3 versions of package aaronspindler.com-celery, which this stack deploys from; a rollback needs at least 4 (2 releases x 2 Dockerfile targets pushed there per release): raise site:keepVersions",
        ]);
        expect(cleanupKeepsWhatRuns.check(twoTargets, { rollbackReleases: 1 })).to.deep.equal([]);
    });

    it("refuses a cleanup that sets no keep count, and one whose package is an expression it cannot read (it may hit every package)", () => {
        expect(messages(cleanupKeepsWhatRuns.check(stack([app("web"), cleanupFile(undefined, ["aaronspindler.com-web"])]), CONFIG))[0]).to.include(
            "sets no min-versions-to-keep (the action then deletes the oldest version on every run) of package aaronspindler.com-web",
        );
        const deployed = stack([app("web", { image: image("web") }), cleanupFile(1, "${{ inputs.package }}")]);
        expect(messages(cleanupKeepsWhatRuns.check(deployed, CONFIG))).to.have.length(1);
    });
});
