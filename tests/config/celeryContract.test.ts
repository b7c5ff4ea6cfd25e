/**
 * `site:celeryContract` (the app's committed task names and beat schedule) and
 * `site:release.removedTasks` (removals acknowledged for one release, read with the rest of
 * `site:release`): the contract read from the build context when the release comes from this
 * checkout, taken from the source stack when promoting; every bad input refused naming the key and
 * what is accepted, before anything is registered.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { problems, stackConfig } from "../support/stacks";

/** A build context holding `text` as its contract file. */
function contextWith(text: string | undefined): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "celery-contract-"));
    fs.mkdirSync(path.join(dir, "deployment"));
    if (text !== undefined) fs.writeFileSync(path.join(dir, "deployment", "celery-contract.json"), text);
    return dir;
}

describe("the Celery contract (site:celeryContract, site:release.removedTasks)", () => {
    it("dev reads the stand-in's committed contract: sorted task names and beat's schedule", () => {
        expect(stackConfig("dev").celery).to.deep.equal({
            file: "deployment/celery-contract.json",
            fromFile: {
                tasks: ["notifications.tasks.send_digest", "pages.tasks.clear_expired_sessions", "pages.tasks.rebuild_sitemap", "site.canary", "site.heartbeat", "standin.tasks.hold"],
                schedule: { "daily-digest": "notifications.tasks.send_digest", "nightly-sitemap": "pages.tasks.rebuild_sitemap", "site-heartbeat": "site.heartbeat" },
            },
        });
        expect(stackConfig("dev").release.removedTasks).to.deep.equal([]);
        // Local deploys pinned digests of this checkout: the same file.
        expect(stackConfig("local").celery.fromFile?.tasks).to.have.length(6);
    });

    it("prod reads no file: a promoted release brings its source's record (stack/contract.ts)", () => {
        expect(stackConfig("prod").celery.fromFile).to.equal(undefined);
    });

    it("takes acknowledged removals from site:release.removedTasks, beside the release's other fields", () => {
        const release = stackConfig("dev", { release: { removedTasks: ["pages.tasks.rebuild_sitemap"], migrations: "breaking", tasks: [] } }).release;
        expect(release).to.deep.include({ removedTasks: ["pages.tasks.rebuild_sitemap"], migrations: "breaking", tasks: [] });
    });

    it("refuses a missing file, naming the key, the build context and how to make it", () => {
        expect(problems({ buildContext: contextWith(undefined) }, "dev")).to.include(
            'site:celeryContract: no file "deployment/celery-contract.json" in the build context (site:buildContext',
        ).and.include("python -m config.celery_contract > deployment/celery-contract.json");
    });

    it("refuses a file that is not the contract: not JSON, no task list, bad or unsorted names, a bad schedule entry", () => {
        const bad = (text: string) => problems({ buildContext: contextWith(text) }, "dev");
        expect(bad("{tasks:")).to.include("site:celeryContract: (deployment/celery-contract.json) is not JSON; expected {\"tasks\"");
        expect(bad('{"names": []}')).to.include("site:celeryContract: (deployment/celery-contract.json) is not accepted; expected {\"tasks\"");
        expect(bad('{"tasks": ["ok.task", "not a name"], "schedule": {}}')).to.include('tasks "not a name" not accepted; expected a Celery task name');
        expect(bad('{"tasks": ["b.task", "a.task"], "schedule": {}}')).to.include("tasks are not sorted and unique");
        expect(bad('{"tasks": ["a.task"], "schedule": {"nightly": 3}}')).to.include('schedule entry "nightly" sends 3; expected a Celery task name');
    });

    it("refuses a path outside the build context", () => {
        expect(problems({ celeryContract: "../secrets.json" }, "dev")).to.include('site:celeryContract: "../secrets.json" is not accepted; expected a JSON file\'s path inside the build context');
        expect(problems({ celeryContract: "/etc/contract.json" }, "dev")).to.include("site:celeryContract: \"/etc/contract.json\" is not accepted");
    });

    it("refuses bad acknowledgements, naming the field and what is accepted", () => {
        expect(problems({ release: { removedTask: ["a.task"] } }, "dev")).to.include("site:release.removedTask: unknown field; accepted fields are tasks, migrations, removedTasks");
        expect(problems({ release: { removedTasks: "a.task" } }, "dev")).to.include('site:release.removedTasks: "a.task" is not accepted; expected a list of Celery task names this release removes');
        expect(problems({ release: { removedTasks: ["a task"] } }, "dev")).to.include('site:release.removedTasks[0]: "a task" is not accepted; expected a Celery task name');
        expect(problems({ release: { removedTasks: ["a.task", "a.task"] } }, "dev")).to.include('site:release.removedTasks[1]: "a.task" is listed twice');
    });
});
