/**
 * The centrepiece: consolidating prod from four services to two is a configuration change, and the
 * plan is small and exact. Runs the prod program under `split` and under `unified` and compares
 * what each registers, resource by resource, the way `pulumi preview` compares state.
 */
import { expect } from "chai";
import { runSite } from "../support/site";
import { PROD_BUILDS } from "../support/stacks";
import { Registered, countByType, diffResources, referencedStacks, resolve, shortUrn as short } from "../support/mocks";

async function prodUnder(topology: string): Promise<Registered[]> {
    return (await runSite("prod", { topology, ...PROD_BUILDS })).resources;
}

/** Resources that belong to a service, by the service name in their URN's name part. */
function of(resources: Registered[], service: string): string[] {
    return resources.filter((r) => r.name.toLowerCase().includes(service)).map((r) => r.urn);
}

describe("split to unified and back (prod)", () => {
    let split: Registered[];
    let unified: Registered[];
    before(async () => {
        split = await prodUnder("split");
        unified = await prodUnder("unified");
    });

    it("removes exactly the celerybeat and flower resources and adds nothing", () => {
        const diff = diffResources(split, unified);
        const dropped = [...of(split, "celerybeat"), ...of(split, "flower")].sort();
        expect(dropped).to.not.be.empty;
        expect(diff.removed.sort()).to.deep.equal(dropped);
        expect(diff.added).to.deep.equal([]);
    });

    it("moves celery's image from celery-worker to celery-unified under the same URN", () => {
        const urn = "urn:pulumi:prod::site::site:image:ServiceImage$docker-build:index:Image::celery";
        const before = split.find((r) => r.urn === urn)!;
        const after = unified.find((r) => r.urn === urn)!;
        expect(before.inputs.target).to.equal("celery-worker");
        expect(after.inputs.target).to.equal("celery-unified");
        const sha = "0123456789abcdef0123456789abcdef01234567";
        const repo = "ghcr.io/aaronspindler/aaronspindler.com-celery";
        expect(before.inputs.tags).to.deep.equal([`${repo}:${sha}`, `${repo}:latest`, `${repo}:celery-worker-${sha}`]);
        expect(after.inputs.tags).to.deep.equal([`${repo}:${sha}`, `${repo}:latest`, `${repo}:celery-unified-${sha}`]);
    });

    it("changes nothing else: in particular web keeps its URNs and inputs", () => {
        const diff = diffResources(split, unified);
        expect(diff.changed).to.deep.equal({
            // The app stays (same URN), with the new image, the description naming its new process and
            // the override of a container running beat (raised open-file limit, stop-first updates).
            "urn:pulumi:prod::site::site:caprover:SiteApps$caprover:index:App::celery": ["description", "image", "serviceUpdateOverride"],
            // The canary's worker is celery's new image, and beat runs in it (no image of its own).
            "urn:pulumi:prod::site::site:caprover:SiteApps$caprover:index:Canary::canary": ["beatImage", "workerImage"],
            // The target, and the tag naming the exact build of that target.
            "urn:pulumi:prod::site::site:image:ServiceImage$docker-build:index:Image::celery": ["tags", "target"],
            // The container cleanup's matrix loses the two packages (tests/github/flip.test.ts has the detail).
            "urn:pulumi:prod::site::site:github:WorkflowFile$github:index/repositoryFile:RepositoryFile::cleanup-containers": ["content"],
        });
        const web = of(split, "web");
        expect(web).to.not.be.empty;
        for (const urn of web) {
            expect(unified.find((r) => r.urn === urn)?.inputs, urn).to.deep.equal(split.find((r) => r.urn === urn)!.inputs);
        }
    });

    it("restores the original set going back to split", async () => {
        const back = await prodUnder("split");
        expect(diffResources(split, back)).to.deep.equal({ removed: [], added: [], changed: {} });
        expect(diffResources(unified, back).added.sort()).to.deep.equal([...of(split, "celerybeat"), ...of(split, "flower")].sort());
    });

    it("registers per profile the resources of its services", async () => {
        const counts: Record<string, Record<string, number>> = {};
        for (const topology of ["split", "essential", "unified"]) counts[topology] = countByType(await prodUnder(topology));
        counts.single = countByType((await runSite("prod", { topology: "single", singleTarget: "all-in-one", ...PROD_BUILDS })).resources);
        const images = Object.fromEntries(Object.entries(counts).map(([p, c]) => [p, c["docker-build:index:Image"]]));
        expect(images).to.deep.equal({ split: 4, essential: 3, unified: 2, single: 1 });
        // Printed for the closing note: resources by type per profile.
        console.log(`      ${JSON.stringify(counts)}`);
    });
});

describe("split to unified, the committed prod (promoting dev's images)", () => {
    it("deletes celerybeat's and flower's app, image, re-tag and secrets; updates celery's app, re-tag and the cleanup matrix; nothing else", async () => {
        // Dev first: prod promotes only what dev ran, so each prod run reads a dev that ran its profile.
        const devRan = async (topology: string) => (referencedStacks.dev = { release: await resolve((await runSite("dev", { topology })).outputs.release) });
        try {
            await devRan("split");
            const split = (await runSite("prod")).resources;
            await devRan("unified");
            const unified = (await runSite("prod", { topology: "unified" })).resources;
            const diff = diffResources(split, unified);
            expect(diff.removed.map(short).sort()).to.deep.equal([
                "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::celerybeat-app-name",
                "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::celerybeat-app-token",
                "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::flower-app-name",
                "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret::flower-app-token",
                "command:local:Command::celerybeat-retag",
                "command:local:Command::flower-retag",
                "caprover:index:App::celerybeat",
                "caprover:index:App::flower",
                "site:image:ServiceImage::celerybeat",
                "site:image:ServiceImage::flower",
            ].sort());
            expect(diff.added).to.deep.equal([]);
            expect(Object.fromEntries(Object.entries(diff.changed).map(([urn, keys]) => [short(urn), keys]))).to.deep.equal({
                "caprover:index:App::celery": ["description", "image", "serviceUpdateOverride"],
                "caprover:index:Canary::canary": ["beatImage", "workerImage"],
                "github:index/repositoryFile:RepositoryFile::cleanup-containers": ["content"],
                "command:local:Command::celery-retag": ["environment"],
            });
        } finally {
            delete referencedStacks.dev;
        }
    });
});
