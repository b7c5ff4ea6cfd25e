/**
 * The Celery contract through the whole program (mocks): each release records its task names and
 * beat's schedule in the `release` output; the next run reads them back from the stack's own last
 * release (a StackReference to itself) and puts both beside each other in the TaskContract
 * component the policy pack judges; when the release adds names, the workers deploy first.
 */
import { expect } from "chai";
import { ReleaseManifest } from "../../components/images/imageRelease";
import { RawConfig } from "../../config/reader";
import { Registered, referencedStacks, resolve } from "../support/mocks";
import { runSite } from "../support/site";

const SELF = (stack: string) => `organization/site/${stack}`;
/** The stand-in's committed contract (app/deployment/celery-contract.json). */
const STAND_IN = {
    tasks: ["notifications.tasks.send_digest", "pages.tasks.clear_expired_sessions", "pages.tasks.rebuild_sitemap", "site.canary", "site.heartbeat", "standin.tasks.hold"],
    schedule: { "daily-digest": "notifications.tasks.send_digest", "nightly-sitemap": "pages.tasks.rebuild_sitemap", "site-heartbeat": "site.heartbeat" },
};
const app = (resources: Registered[], name: string) => resources.find((r) => r.type === "caprover:index:App" && r.name === name)!;
const contract = (resources: Registered[]) => resources.find((r) => r.type === "site:celery:TaskContract")!;

/** Runs `stack` as if its last release had recorded `running`. */
async function run(stack: string, running: ReleaseManifest["celery"] | undefined, overrides: RawConfig = {}) {
    referencedStacks[SELF(stack)] = running ? { release: { images: {}, celery: running } } : {};
    const { resources, outputs } = await runSite(stack, overrides);
    return { resources, outputs: (await resolve(outputs)) as { release: ReleaseManifest; celery: { removed: string[]; added: string[]; deployOrder: string[][] } } };
}

describe("the Celery contract through the program (mocks)", () => {
    after(() => {
        for (const s of ["dev", "prod"]) delete referencedStacks[SELF(s)];
        delete referencedStacks.dev;
    });

    it("records the release's task names and beat's schedule in its release output, read back from the stack itself", async () => {
        const { resources, outputs } = await run("dev", undefined);
        expect(outputs.release.celery).to.deep.equal(STAND_IN);
        expect(resources.filter((r) => r.type === "pulumi:pulumi:StackReference").map((r) => r.inputs.name)).to.deep.equal([SELF("dev")]);
        // First release: nothing to compare with, nothing removed or added, one deploy group.
        expect(outputs.celery).to.deep.include({ removed: [], added: [], deployOrder: [["web", "celery", "celerybeat", "flower"]] });
    });

    it("puts the running and the new contract, with the acknowledgements, in the component the policy pack reads", async () => {
        const running = { tasks: [...STAND_IN.tasks, "pages.tasks.old_report"].sort(), schedule: { ...STAND_IN.schedule, weekly: "pages.tasks.old_report" } };
        const { resources, outputs } = await run("dev", running, { release: { removedTasks: ["pages.tasks.old_report"] } });
        expect(contract(resources).outputs).to.deep.include({ running, release: STAND_IN, acknowledged: ["pages.tasks.old_report"] });
        expect(contract(resources).outputs.removed).to.deep.equal([{ task: "pages.tasks.old_report", scheduledBy: ["weekly"], acknowledged: true }]);
        expect(outputs.celery).to.deep.include({ removed: ["pages.tasks.old_report"], added: [] });
    });

    it("deploys the workers first when the release adds task names: web, beat and Flower wait for the celery app, all of them for the release tasks", async () => {
        const running = { tasks: STAND_IN.tasks.filter((t) => t !== "pages.tasks.clear_expired_sessions"), schedule: STAND_IN.schedule };
        const { resources, outputs } = await run("dev", running);
        expect(outputs.celery.added).to.deep.equal(["pages.tasks.clear_expired_sessions"]);
        expect(outputs.celery.deployOrder).to.deep.equal([["celery"], ["web", "celerybeat", "flower"]]);
        const celery = app(resources, "celery").urn;
        for (const sender of ["web", "celerybeat", "flower"]) expect(app(resources, sender).dependsOn, sender).to.include(celery);
        expect(app(resources, "celery").dependsOn.filter((d) => d.includes("caprover:index:App"))).to.deep.equal([]);
        // The release phase comes first either way: the workers too wait for the migrations.
        const migrate = resources.find((r) => r.type === "caprover:index:ReleaseTask" && r.name === "release-migrate")!.urn;
        for (const name of ["celery", "web", "celerybeat", "flower"]) expect(app(resources, name).dependsOn, name).to.include(migrate);
    });

    it("deploys every app at once when nothing is added (removals do not need the order)", async () => {
        const { resources, outputs } = await run("dev", STAND_IN);
        expect(outputs.celery.deployOrder).to.deep.equal([["web", "celery", "celerybeat", "flower"]]);
        expect(app(resources, "web").dependsOn).to.not.include(app(resources, "celery").urn);
    });

    it("unified: the worker with embedded beat deploys before web; single has one app and no order", async () => {
        const running = { tasks: ["notifications.tasks.send_digest"], schedule: {} };
        expect((await run("dev", running, { topology: "unified" })).outputs.celery.deployOrder).to.deep.equal([["celery"], ["web"]]);
        expect((await run("dev", running, { topology: "single", singleTarget: "all-in-one" })).outputs.celery.deployOrder).to.deep.equal([["web"]]);
    });

    it("prod compares its own running release with the contract dev recorded for the release it promotes", async () => {
        const dev = await run("dev", undefined);
        referencedStacks.dev = { release: dev.outputs.release };
        const running = { tasks: [...STAND_IN.tasks, "pages.tasks.old_report"].sort(), schedule: STAND_IN.schedule };
        const { resources, outputs } = await run("prod", running);
        expect(contract(resources).outputs).to.deep.include({ running, release: STAND_IN });
        expect(outputs.release.celery).to.deep.equal(STAND_IN);
        expect(outputs.celery.removed).to.deep.equal(["pages.tasks.old_report"]);
    });
});
