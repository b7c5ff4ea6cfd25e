import { expect } from "chai";
import { celeryTaskNames } from "../src/policies/celeryTaskNames";
import { POLICIES } from "../src/pack";
import { TYPES, stackView } from "../src/resources";
import { Wire } from "../src/wire";
import { messages, resource, stack, unknown } from "./support";

const RUNNING = {
    tasks: ["notifications.tasks.send_digest", "pages.tasks.clear_expired_sessions", "pages.tasks.rebuild_sitemap"],
    schedule: { "daily-digest": "notifications.tasks.send_digest", "nightly-sitemap": "pages.tasks.rebuild_sitemap" },
};

/** The program's TaskContract component as the engine lists it to a stack policy: its registered outputs. */
function contract(outputs: Record<string, Wire>, name = "dev") {
    return { ...resource(TYPES.taskContract, "celery-contract", {}, name, "pulumi:pulumi:Stack"), outputs: { running: RUNNING, acknowledged: [], ...outputs } };
}
const check = (outputs: Record<string, Wire>) => celeryTaskNames.check(stack([contract(outputs)]), {});

describe("policy celery-task-names", () => {
    it("is in the pack, mandatory", () => {
        expect(POLICIES).to.include(celeryTaskNames);
        expect(celeryTaskNames.enforcementLevel).to.equal("mandatory");
    });

    it("passes a release that keeps every name, adds some, or has no running release to compare with", () => {
        expect(check({ release: RUNNING })).to.deep.equal([]);
        expect(check({ release: { ...RUNNING, tasks: [...RUNNING.tasks, "pages.tasks.warm_cache"].sort() } })).to.deep.equal([]);
        expect(check({ running: null, release: RUNNING })).to.deep.equal([]);
        // A rollback by tag: the release's names are not known before it runs.
        expect(check({ release: null })).to.deep.equal([]);
        expect(check({ release: unknown })).to.deep.equal([]);
    });

    it("refuses a release removing a task beat schedules, naming the task and the entry, with the acknowledgement that would pass it", () => {
        const without = { tasks: RUNNING.tasks.filter((t) => t !== "pages.tasks.rebuild_sitemap"), schedule: { "daily-digest": "notifications.tasks.send_digest" } };
        const found = check({ release: without });
        expect(found.map((v) => v.urn)).to.deep.equal([contract({}).urn]);
        expect(messages(found)).to.deep.equal([
            "this release removes Celery task names the running release registers: pages.tasks.rebuild_sitemap (beat schedules it: nightly-sitemap). A worker of the new release discards their messages. " +
                "Keep the name (an alias task) until its queue is drained and its beat entries are gone, or acknowledge the loss for this release: pulumi config set --path 'site:release.removedTasks[0]' pages.tasks.rebuild_sitemap",
        ]);
    });

    it("refuses a removed task nobody schedules too: messages the running release sent may still be queued", () => {
        const without = { ...RUNNING, tasks: RUNNING.tasks.filter((t) => t !== "pages.tasks.clear_expired_sessions") };
        expect(messages(check({ release: without }))[0]).to.include("pages.tasks.clear_expired_sessions (messages the running release sent may still be queued)");
    });

    it("passes the removal once acknowledged (site:release.removedTasks), and only the names acknowledged", () => {
        const without = { tasks: ["notifications.tasks.send_digest"], schedule: { "daily-digest": "notifications.tasks.send_digest" } };
        expect(check({ release: without, acknowledged: ["pages.tasks.clear_expired_sessions", "pages.tasks.rebuild_sitemap"] })).to.deep.equal([]);
        const one = messages(check({ release: without, acknowledged: ["pages.tasks.rebuild_sitemap"] }));
        expect(one).to.have.length(1);
        expect(one[0]).to.include("pages.tasks.clear_expired_sessions").and.not.include("rebuild_sitemap (");
    });

    it("refuses a schedule sending a name the release does not register, acknowledged or not", () => {
        const stale = { tasks: ["notifications.tasks.send_digest"], schedule: { "nightly-sitemap": "pages.tasks.rebuild_sitemap" } };
        const found = messages(check({ running: null, release: stale, acknowledged: ["pages.tasks.rebuild_sitemap"] }));
        expect(found).to.deep.equal([
            "beat's schedule of this release sends task names it does not register: nightly-sitemap -> pages.tasks.rebuild_sitemap; every run would be discarded. Remove the entries or register the tasks (python -m config.celery_contract shows both)",
        ]);
    });

    it("the reference a stack reads its own last release through does not make it a promoting (production) stack", () => {
        const self = resource(TYPES.stackReference, "running-release", { name: "organization/site/dev" }, "dev", "pulumi:pulumi:Stack");
        const other = resource(TYPES.stackReference, "promote-from", { name: "dev" }, "prod", "pulumi:pulumi:Stack");
        expect(stackView([self]).promotes).to.equal(false);
        expect(stackView([other]).promotes).to.equal(true);
    });
});
