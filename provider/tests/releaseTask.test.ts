/**
 * The ReleaseTask provider against the emulator: a run-once app whose exit is read from CapRover's
 * logs; once per release; a failure carries the task's own last lines with secrets scrubbed; a
 * leftover of an interrupted run is removed; the deadline; the app is never left behind.
 */
import { expect } from "chai";
import { RELEASE_TASK_TYPE, ReleaseTaskInputs, ReleaseTaskOutputs, releaseKey, releaseTaskHandler } from "../src/resources/releaseTask";
import { stackMarker } from "../src/resources/app";
import { EXIT_MARKER } from "../src/task/run";
import { useTestClock } from "./clock";
import { PASSWORD, client, connection, expectNoSecrets, failure, image, registered, until, useEmulator } from "./support";
import type { Context } from "../src/resources/handler";
import type { CapRoverEmulator } from "../emulator/caprover";

const DB_SECRET = "postgres://site:db-password-that-must-not-leak@db/site";
const MIGRATE = ["python", "manage.py", "migrate", "--noinput"];
const URN = `urn:pulumi:test::site::${RELEASE_TASK_TYPE}::release-migrate`;

function inputs(overrides: Partial<ReleaseTaskInputs> = {}): ReleaseTaskInputs {
    const checked = releaseTaskHandler.check({ appName: "rp-release-migrate", image: image("a"), command: MIGRATE, envVars: { DATABASE_URL: DB_SECRET, DEBUG: "0" }, deployTimeoutMs: 5000, ...overrides }, () => true);
    expect(checked.failures).to.deep.equal([]);
    return checked.inputs;
}

describe("ReleaseTask provider", () => {
    const emulator = useEmulator();
    const lines: string[] = [];
    const warnings: string[] = [];
    beforeEach(() => {
        lines.length = 0;
        warnings.length = 0;
    });
    const ctx = (e: CapRoverEmulator, password = PASSWORD): Context => ({ connection: connection(e, password), urn: URN, log: (l) => lines.push(l), warn: (l) => warnings.push(l) });
    const create = async (i: ReleaseTaskInputs) => (await releaseTaskHandler.create(ctx(emulator()), i)).outs;

    it("runs the command once in the release's image with its environment, reads its exit from the logs, and removes the app", async () => {
        const outs = await create(inputs());
        const runs = emulator().taskRuns();
        expect(runs).to.have.length(1);
        // Only the release's image ran the command: CapRover's placeholder never did.
        expect(runs[0]).to.include({ appName: "rp-release-migrate", image: image("a"), exitCode: 0 });
        expect(runs[0].process.slice(-MIGRATE.length)).to.deep.equal(MIGRATE);
        expect(emulator().app("rp-release-migrate")).to.equal(undefined);
        expect(outs.release).to.equal(releaseKey({ image: image("a"), command: MIGRATE }));
        // The definition (no replica yet) came before the deploy, the one replica after it, the delete last.
        const changes = emulator().requests.filter((r) => r.method === "POST" && r.path !== "/login").map((r) => r.path);
        expect(changes).to.deep.equal([
            "/user/apps/appDefinitions/register",
            "/user/apps/appDefinitions/update",
            "/user/apps/appData/rp-release-migrate",
            "/user/apps/appDefinitions/update",
            "/user/apps/appDefinitions/delete",
        ]);
    });

    it("does not run again for the same image and command (a re-run `up`), whatever else changed; runs again for a new image or command", async () => {
        const outs = await create(inputs());
        const same = await releaseTaskHandler.update(ctx(emulator()), "rp-release-migrate", outs, inputs({ envVars: { DATABASE_URL: DB_SECRET, DEBUG: "1" }, deployTimeoutMs: 9000 }));
        expect(emulator().taskRuns()).to.have.length(1);
        expect(same.release).to.equal(outs.release);
        expect(same.envVars.DEBUG).to.equal("1");
        await releaseTaskHandler.update(ctx(emulator()), "rp-release-migrate", same, inputs({ image: image("b") }));
        await releaseTaskHandler.update(ctx(emulator()), "rp-release-migrate", same, inputs({ command: ["python", "manage.py", "migrate", "site"] }));
        expect(emulator().taskRuns().map((r) => r.image)).to.deep.equal([image("a"), image("b"), image("a")]);
    });

    it("fails with the task's exit code and last output lines, secrets scrubbed, and removes the app; the state keeps the previous release, so the next run tries again", async () => {
        const outs = await create(inputs());
        emulator().options.failingTaskImages.push(image("b"));
        const e = await failure(() => releaseTaskHandler.update(ctx(emulator()), "rp-release-migrate", outs, inputs({ image: image("b") })));
        expect(e.message).to.include(`release task \`python manage.py migrate --noinput\` in ${image("b")} (app rp-release-migrate) exited with code 1`);
        expect(e.message).to.include("last lines of its output:");
        expect(e.message).to.include("django.db.utils.OperationalError: could not apply standin.0002_release_mark to [secret]: no such column: standin_releasemark.release");
        expect(e.message).to.not.include(EXIT_MARKER);
        expectNoSecrets([e.message, ...lines, ...warnings], [DB_SECRET, PASSWORD]);
        expect(emulator().app("rp-release-migrate")).to.equal(undefined);
        emulator().options.failingTaskImages.length = 0;
        await releaseTaskHandler.update(ctx(emulator()), "rp-release-migrate", outs, inputs({ image: image("b") }));
        expect(emulator().taskRuns().map((r) => r.exitCode)).to.deep.equal([0, 1, 0]);
    });

    it("removes a task app an interrupted run left (it carries the stack's tag, or was never configured), then runs the task", async () => {
        const c = client(emulator());
        await registered(c, "rp-release-migrate");
        await c.updateApp((await c.getApp("rp-release-migrate"))!, { tags: [{ tagName: stackMarker(URN) }], instanceCount: 1 });
        await create(inputs());
        expect(warnings.join("\n")).to.include("removing rp-release-migrate, a release task app left by an interrupted run; the task runs again");
        expect(emulator().taskRuns()).to.have.length(1);
        expect(emulator().app("rp-release-migrate")).to.equal(undefined);
    });

    it("refuses, and leaves alone, an app of the same name that is not this stack's task app", async () => {
        const c = client(emulator());
        await registered(c, "rp-release-migrate");
        await c.updateApp((await c.getApp("rp-release-migrate"))!, { description: "someone's app" });
        const e = await failure(() => create(inputs()));
        expect(e.message).to.include("app rp-release-migrate already exists and is not a release task app of this stack (it has no tag pulumi-site-test)");
        expect(emulator().app("rp-release-migrate")).to.include({ description: "someone's app" });
        expect(emulator().taskRuns()).to.have.length(0);
    });

    describe("with the clock held", () => {
        const clock = useTestClock();

        it("fails a task that does not exit within the deploy timeout, saying what it waited for, and removes its app (nothing left running)", async () => {
            emulator().options.silentImages.push(image("a"));
            clock.freeze();
            const pending = failure(() => create(inputs({ deployTimeoutMs: 1000 })));
            await until(() => emulator().taskRuns().some((r) => r.image === image("a")) && emulator().requests.some((r) => r.path.endsWith("/logs")), "the task to start and its logs to be read");
            clock.advance(1001);
            const e = await pending;
            expect(e.message).to.include("release task `python manage.py migrate --noinput` in " + image("a") + " (app rp-release-migrate) did not exit within the deploy timeout of 1000 ms");
            expect(emulator().app("rp-release-migrate")).to.equal(undefined);
        });
    });

    it("fails on a wrong password with CapRover's words, registering nothing", async () => {
        const e = await failure(() => releaseTaskHandler.create(ctx(emulator(), "not-the-password"), inputs()));
        expect(e.message).to.match(/release task of rp-release-migrate \(python manage.py migrate --noinput\) on 127\.0\.0\.1:\d+ failed: .*1105/);
        expect(emulator().apps.size).to.equal(0);
    });

    it("refuses bad inputs naming the input and what is accepted", () => {
        const r = releaseTaskHandler.check({ appName: "Bad_Name", image: "web:latest", command: [], envVars: { "1X": "v" }, deployTimeoutMs: 0 }, () => true);
        expect(r.failures.map((f) => f.property)).to.deep.equal(["appName", "image", "command", "envVars", "deployTimeoutMs"]);
        expect(r.failures[2].reason).to.include("expected a non-empty list of arguments");
    });

    it("keeps its record on refresh (its app is gone after every run) and removes only its own leftover on delete", async () => {
        const outs: ReleaseTaskOutputs = await create(inputs());
        expect(await releaseTaskHandler.read(ctx(emulator()), "rp-release-migrate", outs)).to.deep.equal({ id: "rp-release-migrate", outs });
        const c = client(emulator());
        await registered(c, "rp-release-migrate");
        await releaseTaskHandler.delete(ctx(emulator()), "rp-release-migrate", outs);
        expect(emulator().app("rp-release-migrate"), "not tagged: someone else's").to.not.equal(undefined);
    });
});
