/**
 * The CapRover provider's failures as a user sees them, through the real CLI: CapRover's own words
 * (status and description), the operation, the app and the server, never `error: undefined`.
 * Also `pulumi import` of an app made by hand, and an `up` killed mid-deploy that converges after
 * `pulumi cancel` and one more `up`. One scenario, in order, against an emulator on 127.0.0.1.
 */
import { expect } from "chai";
import { CapRoverClient } from "../../provider/src/api/client";
import { clearTokenCache, sleep } from "../../provider/src/api/transport";
import { useTestClock } from "../../provider/tests/clock";
import { whenRequest } from "../../provider/tests/support";
import { CapRoverEmulator } from "../../provider/emulator/caprover";
import { PreviewJson, Workspace, ensureTools, killAll, orphanedPlugins } from "../../scripts/engine/driver";
import { isChange, removeTornSidecars, shortName } from "../../scripts/engine/events";
import { CLI_TIMEOUT, EMULATOR_PASSWORD, STACK, openLocalStack } from "../../scripts/engine/localStack";
import { errorLines, inOrder } from "./scenario";

const stack = ["--stack", STACK];
const APPS = ["local-celery", "local-celerybeat", "local-flower", "local-web"];

describe("engine: what the CapRover provider says when things go wrong", function () {
    this.timeout(5 * CLI_TIMEOUT);

    let emulator: CapRoverEmulator;
    let ws: Workspace;
    const up = (opts: { allowFailure?: boolean } = {}) => ws.pulumi(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT, ...opts });
    const config = (...args: string[]) => ws.pulumi(["config", ...args, ...stack], { timeoutMs: CLI_TIMEOUT });
    const apps = () => [...emulator.apps.keys()].sort();
    /** The emulator's pauses (a deploy's build time), held while the test acts. */
    const testClock = useTestClock();

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        ({ emulator, ws } = await openLocalStack({ policyPack: false })); // no step checks a policy
    });

    inOrder();

    after(async () => {
        ws?.dispose();
        await emulator?.close();
        clearTokenCache();
    });

    it("a wrong password: up fails with CapRover's 1105 description, naming the release task and the server, and leaves nothing", async () => {
        await config("set", "--secret", "site:caproverPassword", "not-the-password");
        const r = await up({ allowFailure: true });
        expect(r.code).to.not.equal(0);
        const errors = errorLines(r);
        // The release's migrations come first (every app waits for them): their login is the one refused.
        const task = errors.filter((e) => e.includes("release task of"));
        expect(task, errors.join("\n")).to.have.length(1);
        expect(task[0]).to.match(new RegExp(`^release task of local-release-migrate \\(python manage.py migrate --noinput\\) on 127\\.0\\.0\\.1:${emulator.port} failed: CapRover POST /login failed: status 1105: Invalid credentials`));
        expect(errors.filter((e) => e.includes("create of CapRover app")), "no app was tried").to.deep.equal([]);
        expect(errors.join("\n")).not.to.match(/undefined|cardinality violation/);
        expect(apps()).to.deep.equal([]);
    });

    it("with the right password the same up converges", async () => {
        await config("set", "--secret", "site:caproverPassword", EMULATOR_PASSWORD);
        await up();
        expect(apps()).to.deep.equal(APPS);
    });

    it("pulumi import caprover:index:App takes an app made by hand into the state, with its definition", async () => {
        clearTokenCache();
        const operator = new CapRoverClient({ url: emulator.url, password: EMULATOR_PASSWORD });
        await operator.registerApp("handmade", false);
        await operator.updateApp((await operator.getApp("handmade"))!, { instanceCount: 2, description: "made by hand", envVars: [{ key: "A", value: "1" }] });
        // The default provider reads the stack's caprover:* configuration.
        await config("set", "caprover:url", emulator.url);
        await config("set", "--secret", "caprover:password", EMULATOR_PASSWORD);
        const r = await ws.pulumi(["import", "caprover:index:App", "handmade", "handmade", ...stack, "--yes", "--generate-code=false"], { timeoutMs: CLI_TIMEOUT });
        expect(r.code).to.equal(0);
        const exported = JSON.parse((await ws.pulumi(["stack", "export", ...stack], { timeoutMs: CLI_TIMEOUT })).stdout) as {
            deployment: { resources: { urn: string; type: string; id?: string; outputs?: Record<string, unknown>; protect?: boolean }[] };
        };
        const imported = exported.deployment.resources.find((x) => x.type === "caprover:index:App" && x.id === "handmade")!;
        expect(imported, "imported resource").to.not.equal(undefined);
        expect(imported.outputs).to.include({ appName: "handmade", instanceCount: 2, description: "made by hand" });
        expect(imported.protect, "imports are protected").to.equal(true);
        // The program does not declare it: forget it again (the app stays), as a user would after a trial import.
        await ws.pulumi(["state", "delete", imported.urn, ...stack, "--yes", "--force"], { timeoutMs: CLI_TIMEOUT });
        expect(apps()).to.include("handmade");
    });

    it("an up killed (SIGKILL) mid-deploy converges after pulumi cancel and one more up, without a duplicate or a refusal", async () => {
        await ws.pulumi(["destroy", ...stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT });
        expect(apps()).to.deep.equal(["handmade"]);
        // The builds (4 s each) last until the run is killed: the kill lands mid-deploy.
        emulator.options.deployMs = 4000;
        const builds = testClock.hold((ms) => ms === 4000);
        const running = up({ allowFailure: true });
        // Kill once CapRover has registered the apps and started deploying.
        await whenRequest(emulator, (q) => q.method === "POST" && q.path.startsWith("/user/apps/appData/"));
        await builds.held();
        killAll();
        const killed = await running;
        expect(killed.code, "killed").to.equal(-1);
        // The killed engine's plugins (provider, policy pack) end themselves; none keeps running.
        // Waits for their exit itself (each checks for its engine every 500 ms), however busy the machine.
        while (orphanedPlugins().length > 0) await sleep(250);
        expect(orphanedPlugins(), "plugins outliving the killed engine").to.deep.equal([]);
        builds.release();
        removeTornSidecars(ws.state);
        expect(apps().filter((a) => a.startsWith("local-")).length, "apps left by the killed run").to.be.greaterThan(0);
        emulator.options.deployMs = 0;
        await ws.pulumi(["cancel", ...stack, "--yes"], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
        await up();
        expect(apps()).to.deep.equal([...APPS, "handmade"].sort());
        const preview = await ws.json<PreviewJson>(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
        expect(preview.steps.filter((s) => isChange(s.op)).map((s) => `${s.op} ${shortName(s.urn)}`)).to.deep.equal([]);
    });

    it("a change that would replace a running app fails the preview, naming the old and the new app, unless allowed", async () => {
        await config("set", "--path", "site:services.web.appName", "local-web-2");
        const r = await ws.pulumi(["preview", ...stack], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
        expect(r.code).to.not.equal(0);
        expect(errorLines(r).join("\n")).to.include("CapRover app local-web would be replaced by local-web-2 (appName changed)").and.include("site:allowReplace");
        await config("set", "site:allowReplace", "true");
        const allowed = await ws.json<PreviewJson>(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
        // The canary asks web under its new name.
        expect(allowed.steps.filter((s) => isChange(s.op)).map((s) => `${s.op} ${shortName(s.urn)}`)).to.deep.equal(["replace App::web", "update Canary::canary"]);
        await config("rm", "--path", "site:services.web.appName");
        await config("rm", "site:allowReplace");
    });

    it("a refresh and a destroy while the server refuses connections name the server and the cause", async () => {
        await emulator.close();
        for (const command of ["refresh", "destroy"]) {
            const r = await ws.pulumi([command, ...stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
            expect(r.code, command).to.not.equal(0);
            const errors = errorLines(r).join("\n");
            const verb = command === "refresh" ? "refresh" : "delete";
            expect(errors, `${command}, which printed:\n${errors}\n`).to.match(new RegExp(`${verb} of CapRover app local-\\w+ on 127\\.0\\.0\\.1:${emulator.port} failed: .*ECONNREFUSED.* after \\d+ attempts`));
            expect(errors, command).not.to.match(/undefined|cardinality violation/);
        }
    });
});
