/**
 * The release phase through the engine (real CLI, the emulator): the site's migrations run once,
 * in web's new image, before any app deploys; a re-run `up` does not run them again; a failing
 * migration fails `pulumi up` with the task's own words (secrets scrubbed), no app is updated and
 * the previous release keeps serving; the next `up` runs the task again and deploys.
 */
import { expect } from "chai";
import { CapRoverEmulator } from "../../provider/emulator/caprover";
import { Workspace, ensureTools } from "../../scripts/engine/driver";
import { CLI_TIMEOUT, STACK, configure, openLocalStack } from "../../scripts/engine/localStack";

const stack = ["--stack", STACK];
const FIRST = `ghcr.io/aaronspindler/aaronspindler.com-web@sha256:${"1".repeat(64)}`;
const NEXT = `ghcr.io/aaronspindler/aaronspindler.com-web@sha256:${"7".repeat(64)}`;
const DB_SECRET = "postgres://site:engine-db-pw-must-not-leak@db/site";
const TASK_APP = "local-release-migrate";

describe("engine: the release phase", function () {
    this.timeout(8 * CLI_TIMEOUT);

    let emulator: CapRoverEmulator;
    let ws: Workspace;
    const up = (allowFailure = false) => ws.pulumi(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT, allowFailure });
    /** Index of the first change request to a path, in the order the emulator saw them. */
    const firstChange = (test: (path: string) => boolean) => emulator.requests.findIndex((r) => r.method === "POST" && test(r.path));
    const siteApps = () => ["local-web", "local-celery", "local-celerybeat", "local-flower"];

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        ({ emulator, ws } = await openLocalStack({ emulator: { failingTaskImages: [NEXT] }, config: [{ key: "site:services.web.env.DATABASE_URL", value: DB_SECRET, secret: true, path: true }], policyPack: false })); // no step checks a policy
    });

    after(async () => {
        ws?.dispose();
        await emulator?.close();
    });

    it("runs the migrations once, in web's image, before any app is registered or deployed; a re-run `up` does not run them again", async () => {
        await up();
        const runs = emulator.taskRuns();
        expect(runs.map((r) => [r.appName, r.image, r.exitCode])).to.deep.equal([[TASK_APP, FIRST, 0]]);
        // The task's app is the only one registered before it was removed: the site's apps came after.
        const taskRemoved = firstChange((p) => p === "/user/apps/appDefinitions/delete");
        expect(taskRemoved).to.be.greaterThan(-1);
        expect(emulator.requests.slice(0, taskRemoved).filter((r) => r.path === "/user/apps/appDefinitions/register")).to.have.length(1);
        expect(emulator.requests.slice(taskRemoved).filter((r) => r.path === "/user/apps/appDefinitions/register")).to.have.length(siteApps().length);
        expect(emulator.app(TASK_APP)).to.equal(undefined);
        for (const app of siteApps()) expect(emulator.app(app), app).to.not.equal(undefined);
        const before = emulator.requests.length;
        await up();
        expect(emulator.taskRuns()).to.have.length(1);
        expect(emulator.requests.slice(before).filter((r) => r.method === "POST" && r.path !== "/login")).to.deep.equal([]);
    });

    it("fails `up` with the failing migration's own words, secrets scrubbed, updating no app; the next `up` runs it again and deploys", async () => {
        const deployed = Object.fromEntries(siteApps().map((a) => [a, emulator.currentImage(a)]));
        await configure(ws, "set", "--path", "site:imageDigests.web.runtime-full", NEXT);
        const from = emulator.requests.length;
        const failed = await up(true);
        const output = `${failed.stdout}${failed.stderr}`;
        expect(failed.code).to.not.equal(0);
        expect(output).to.include(`release task \`python manage.py migrate --noinput\` in ${NEXT} (app ${TASK_APP}) exited with code 1`);
        expect(output).to.include("django.db.utils.OperationalError: could not apply standin.0002_release_mark to [secret]");
        expect(output).to.not.include(DB_SECRET);
        // No app of the release changed: no deploy or definition update of any, the old images serve.
        const changes = emulator.requests.slice(from).filter((r) => r.method === "POST" && r.path !== "/login");
        expect(changes.map((r) => r.path)).to.deep.equal([
            "/user/apps/appDefinitions/register",
            "/user/apps/appDefinitions/update",
            `/user/apps/appData/${TASK_APP}`,
            "/user/apps/appDefinitions/update",
            "/user/apps/appDefinitions/delete",
        ]);
        expect(Object.fromEntries(siteApps().map((a) => [a, emulator.currentImage(a)]))).to.deep.equal(deployed);
        expect(emulator.servingImage("local-web")).to.equal(FIRST);
        expect(emulator.app(TASK_APP)).to.equal(undefined);

        emulator.options.failingTaskImages.length = 0;
        await up();
        expect(emulator.taskRuns().map((r) => [r.image, r.exitCode])).to.deep.equal([
            [FIRST, 0],
            [NEXT, 1],
            [NEXT, 0],
        ]);
        expect(emulator.currentImage("local-web")).to.equal(NEXT);
    });
});
