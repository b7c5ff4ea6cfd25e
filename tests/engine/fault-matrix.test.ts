/**
 * The fault matrix through the real CLI: the `local` stack (profile unified: local-web and
 * local-celery) against an emulator on 127.0.0.1 that misbehaves on purpose. Each row asserts the
 * message the user sees, what CapRover holds afterwards, what the state holds, and that once the
 * fault is gone the next plain `up` converges with an empty preview after. Rows already proven
 * elsewhere: a wrong password, refusal on refresh/destroy and SIGKILL during up
 * (provider-errors.test.ts), a failed build keeping the last release (release-after-failure.test.ts).
 * One scenario, in order; the deploy timeout is 5 s, so every failing row is bounded.
 *
 * No row races the wall clock: the provider processes' clock stands still (providerClock.ts), so
 * no deploy's deadline passes by itself; a row about the deadline moves that clock past it at the
 * event it waits for (the emulator answered the probe, the worker's logs were read), and a hanging
 * request lets it run, so the request's own timeout (the time left) ends it. Pauses the emulator
 * takes (a deploy's build time) are held until the test has done what it does meanwhile.
 */
import { expect } from "chai";
import { releaseFunction } from "../../provider/src/app/release";
import { CapRoverClient } from "../../provider/src/api/client";
import { clearTokenCache } from "../../provider/src/api/transport";
import type { CapRoverEmulator, SeenRequest } from "../../provider/emulator/caprover";
import { useTestClock } from "../../provider/tests/clock";
import { probeOf, whenRequest } from "../../provider/tests/support";
import { ProviderClock } from "./providerClock";
import { PreviewJson, Workspace, ensureTools, signalAll } from "../../scripts/engine/driver";
import { isChange, shortName } from "../../scripts/engine/events";
import { CLI_TIMEOUT, EMULATOR_PASSWORD, STACK, configure, openLocalStack, setStackValue } from "../../scripts/engine/localStack";
import { errorLines, inOrder } from "./scenario";

const stack = ["--stack", STACK];
const DEPLOY_TIMEOUT_S = 5;
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const webImage = (c: string) => `ghcr.io/aaronspindler/aaronspindler.com-web@${digest(c)}`;
const celeryImage = (c: string) => `ghcr.io/aaronspindler/aaronspindler.com-celery@${digest(c)}`;

describe("engine: the fault matrix (real CLI, misbehaving CapRover on 127.0.0.1)", function () {
    this.timeout(5 * CLI_TIMEOUT);

    let emulator: CapRoverEmulator;
    let ws: Workspace;
    /** The provider processes' clock (their deadlines). */
    const clock = new ProviderClock();
    /** This process's clock (the emulator's token lifetimes) and the emulator's pauses. */
    const testClock = useTestClock();
    /** Moves the providers' clock past the deploy timeout at the first request that matches. */
    const deadlineAt = (match: (r: SeenRequest) => boolean) => void whenRequest(emulator, match).then(() => clock.advance(DEPLOY_TIMEOUT_S * 1000));
    /** The first request matching `match` after the app's next deploy request. */
    const afterDeploy = (app: string, match: (r: SeenRequest) => boolean) =>
        whenRequest(emulator, (r) => r.method === "POST" && r.path === `/user/apps/appData/${app}`).then(() => whenRequest(emulator, match));
    /**
     * A read of celery's logs once its task of `image` runs. The emulator starts the task a timer
     * after the deploy's request, so a read right after that request can come first (on a busy
     * machine) and show none of the new task's lines.
     */
    const newWorkerLogs = (image: string) => (r: SeenRequest) => r.path === "/user/apps/appData/local-celery/logs" && emulator.currentImage("local-celery") === image;
    const up = (opts: { allowFailure?: boolean; onOutput?: (text: string) => void } = {}) => ws.pulumi(["up", ...stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT, ...opts });
    const setWeb = (c: string) => configure(ws, "set", "--path", "site:imageDigests.web.runtime-full", webImage(c));
    const setCelery = (c: string) => configure(ws, "set", "--path", "site:imageDigests.celery.celery-unified", celeryImage(c));
    /** The App resources' outputs in the state (what `pulumi stack export` prints, read from its file), by app name. */
    const state = async (): Promise<Record<string, Record<string, unknown>>> =>
        Object.fromEntries(ws.deployment(STACK).resources.filter((r) => r.type === "caprover:index:App").map((r) => [String(r.outputs?.appName), r.outputs ?? {}]));
    /** A failing up: exit code not 0; returns its output (a partial failure's message spans lines). */
    const failingUp = async (): Promise<string> => {
        const r = await up({ allowFailure: true });
        expect(r.code, "exit code").to.not.equal(0);
        expect(errorLines(r).join("\n")).not.to.match(/undefined|cardinality violation/);
        // FAULT_MATRIX_SHOW=1 prints what the user sees (docs/deploy-safety.md's matrix quotes it).
        if (process.env.FAULT_MATRIX_SHOW) console.log(errorLines(r).map((l) => `    | ${l}`).join("\n"), `\n${r.stdout}`);
        return `${r.stdout}\n${r.stderr}`;
    };
    /** The next plain up succeeds; a preview after it plans nothing; CapRover runs what the state says. */
    const converges = async () => {
        const r = await up({ allowFailure: true });
        expect(r.code, `up after the fault:\n${errorLines(r).join("\n")}`).to.equal(0);
        const preview = await ws.json<PreviewJson>(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
        expect(preview.steps.filter((s) => isChange(s.op)).map((s) => `${s.op} ${shortName(s.urn)}`), "preview after").to.deep.equal([]);
        const s = await state();
        for (const app of ["local-web", "local-celery"]) {
            expect(s[app]?.image, `${app} verified in the state`).to.equal(emulator.currentImage(app));
            expect(emulator.servingImage(app), `${app} served`).to.equal(emulator.currentImage(app));
        }
    };

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        clock.freeze();
        // No row is about a policy (the pack's verdicts on these stacks: policy-pack.test.ts and the
        // previews' tests), so the pack stays out: about 0.8 s of each of the matrix's 38 operations.
        const config = [
            { key: "site:topology", value: "unified" },
            { key: "site:caproverDeployTimeout", value: String(DEPLOY_TIMEOUT_S) },
            // The rows below show what a failed gate says and leaves without a rollback (the opt-out);
            // the rollback itself, the default, has its own row.
            { key: "site:rollbackOnFailure", value: "false" },
        ];
        ({ emulator, ws } = await openLocalStack({ env: clock.env, policyPack: false, config }));
        // The matrix is about the apps' requests and gates: no release task runs before them (its
        // own faults: provider/tests/releaseTask.test.ts, tests/engine/release-phase.test.ts).
        setStackValue(ws, "site:release", { tasks: [] });
        // Nor the canary after them (its own faults: provider/tests/canary.test.ts).
        setStackValue(ws, "site:canary", { enabled: false });
    });

    inOrder(async () => {
        ws?.dispose();
        await emulator?.close();
        clearTokenCache();
        clock.dispose();
    });

    it("baseline: the unified stack deploys, each app gated on its release (web's health answer, the worker's ready line)", async () => {
        await converges();
        expect(emulator.currentEnv("local-web")?.SITE_RELEASE).to.equal(digest("1"));
        expect(emulator.requests.some((q) => q.path === "/user/apps/appData/local-celery/logs")).to.equal(true);
    });

    it("server refusing connections during up: names the server and ECONNREFUSED, changes nothing; up converges once it is back", async () => {
        await setWeb("a");
        await emulator.pause();
        let errors: string;
        try {
            errors = await failingUp();
        } finally {
            await emulator.resume();
        }
        expect(errors).to.match(new RegExp(`update of CapRover app local-web on 127\\.0\\.0\\.1:${emulator.port} failed: CapRover POST /login failed: ECONNREFUSED.* after 5 attempts`));
        expect(emulator.currentImage("local-web")).to.equal(webImage("1"));
        expect((await state())["local-web"].image).to.equal(webImage("1"));
        await converges();
        expect(emulator.currentImage("local-web")).to.equal(webImage("a"));
    });

    it("a burst of 5xx, then recovery: retried, up succeeds without an error", async () => {
        await setWeb("b");
        emulator.inject({ kind: "http", status: 503, times: 3, match: { method: "GET", path: "/user/apps/appDefinitions" } });
        await converges();
        expect(emulator.requests.filter((q) => q.outcome === "fault http 503")).to.have.length(3);
        expect(emulator.currentImage("local-web")).to.equal(webImage("b"));
    });

    it("a deploy processed but answered 502: retried, up succeeds, CapRover runs the image", async () => {
        await setWeb("c");
        emulator.inject({ kind: "http", status: 502, processed: true, match: { method: "POST", path: "/user/apps/appData/local-web" } });
        await converges();
        expect(emulator.requests.some((q) => q.outcome.startsWith("fault http 502 (processed"))).to.equal(true);
        expect(emulator.currentImage("local-web")).to.equal(webImage("c"));
    });

    it("a persistent 5xx: names the request and the attempts; the new image runs unverified (state image empty); up converges once it stops", async () => {
        await setWeb("d");
        // On the build-state polls that follow the deploy (a new image alone changes no definition).
        emulator.inject({ kind: "http", status: 500, times: 1000, match: { method: "GET", path: "/user/apps/appData/local-web" } });
        // The deadline passes once CapRover has answered the first 500: the retries end on it.
        deadlineAt((r) => r.outcome === "fault http 500");
        const errors = await failingUp();
        emulator.clearFaults();
        expect(errors).to.match(/update of CapRover app local-web on 127\.0\.0\.1:\d+ failed: CapRover GET \/user\/apps\/appData\/local-web failed: (HTTP 500 after 5 attempts|gave up after the deploy timeout)/);
        expect(emulator.currentImage("local-web")).to.equal(webImage("d"));
        expect((await state())["local-web"].image, "unverified").to.equal("");
        await converges();
    });

    it("a status request that hangs: fails within the deploy timeout, naming what it waited for; up converges once it answers", async () => {
        await setWeb("e");
        emulator.inject({ kind: "hang", times: 1000, match: { method: "GET", path: "/user/apps/appData/local-web" } });
        // The providers' clock runs once the status request hangs: the request's own timeout, the time left, must end it.
        void whenRequest(emulator, (r) => r.outcome === "fault hang").then(() => clock.resume());
        let errors: string;
        try {
            errors = await failingUp();
        } finally {
            clock.freeze();
        }
        emulator.clearFaults();
        expect(errors).to.include(`gave up after the deploy timeout of ${DEPLOY_TIMEOUT_S * 1000} ms waiting for CapRover to report ${webImage("e")} running on local-web`);
        // Bounded by the deploy timeout, not by 5 attempts × 30 s requests: the request got the time left.
        const waited = /no answer within (\d+) ms/.exec(errors);
        expect(waited, errors).to.not.equal(null);
        expect(Number(waited![1])).to.be.at.most(DEPLOY_TIMEOUT_S * 1000);
        expect((await state())["local-web"].image).to.equal("");
        await converges();
    });

    it("token expiry under parallel deploys: short-lived tokens, both apps deploy, no error", async () => {
        // Tokens expire (this process's clock moves by their lifetime) as each app's deploy starts.
        testClock.freeze();
        emulator.options.tokenTtlMs = 400;
        emulator.options.latencyMs = 20;
        for (const app of ["local-web", "local-celery"]) void whenRequest(emulator, (r) => r.method === "POST" && r.path === `/user/apps/appData/${app}`).then(() => testClock.advance(400));
        try {
            await setWeb("f");
            await setCelery("f");
            await converges();
        } finally {
            emulator.options.tokenTtlMs = 3600_000;
            emulator.options.latencyMs = 0;
        }
        expect(emulator.requests.filter((q) => q.path === "/login").length).to.be.greaterThan(1);
    });

    it("a failing health check, then a second up while it still fails: both fail with the gate's words; never recorded as deployed", async () => {
        emulator.options.unhealthyImages.push(webImage("7"));
        await setWeb("7");
        // Each up's deadline passes once the new image has answered the gate 503.
        const unhealthy = () => deadlineAt(probeOf("local-web", "/health/", "http 503"));
        const expected = `health check GET /health/ did not answer 2xx from release ${digest("7")} within the deploy timeout of ${DEPLOY_TIMEOUT_S * 1000} ms (last: HTTP 503); the new image is running unhealthy; the next \`pulumi up\` deploys and checks it again.`;
        unhealthy();
        expect(await failingUp()).to.include(expected);
        expect(emulator.currentImage("local-web")).to.equal(webImage("7"));
        expect((await state())["local-web"].image).to.equal("");
        unhealthy();
        expect(await failingUp(), "second up").to.include(expected);
        expect((await state())["local-web"].image).to.equal("");
        await setWeb("0");
        await converges();
    });

    /** A deploy of `bad` fails with `expected` (its deadline passing at `deadline`); the state records the app unverified; a good image converges. */
    const gateFails = async (set: (c: string) => Promise<unknown>, app: string, bad: string, good: string, expected: RegExp, deadline: () => void) => {
        await set(bad);
        deadline();
        expect(await failingUp()).to.match(expected);
        expect((await state())[app].image, "unverified").to.equal("");
        await set(good);
        await converges();
    };

    it("a worker that never becomes ready, with the default rollback: the up fails saying what failed and what runs now, the previous release", async () => {
        await configure(ws, "set", "site:rollbackOnFailure", "true");
        const before = emulator.currentImage("local-celery");
        emulator.options.unhealthyImages.push(celeryImage("a"));
        await setCelery("a");
        // The deadline passes once the gate has read the new worker's logs (its task started); the
        // rollback's own gate (the previous, healthy release) then passes on its ready line.
        void afterDeploy("local-celery", newWorkerLogs(celeryImage("a"))).then(() => clock.advance(DEPLOY_TIMEOUT_S * 1000));
        const errors = await failingUp();
        expect(errors).to.include(`never logged "SITE_RELEASE=${digest("a")} ready"`).and.include("Rolled back").and.include(before!);
        expect(emulator.currentImage("local-celery"), "the previous release runs again").to.equal(before);
        expect((await state())["local-celery"].image, "the state keeps the previous release, verified").to.equal(before);
        await configure(ws, "set", "site:rollbackOnFailure", "false");
        await setCelery(before!.slice(before!.lastIndexOf(":") + 1, before!.lastIndexOf(":") + 2));
        await converges();
    });

    it("a health endpoint that never answers: fails on the deploy timeout, naming the probe's timeout", async () => {
        emulator.options.silentImages.push(webImage("8"));
        await gateFails(setWeb, "local-web", "8", "3", new RegExp(`health check GET /health/ did not answer 2xx from release ${digest("8")} within the deploy timeout of ${DEPLOY_TIMEOUT_S * 1000} ms \\(last: no answer within \\d+ ms\\)`), () =>
            // The deadline passes once a probe went unanswered: that probe's timeout (the time left) ends it.
            deadlineAt(probeOf("local-web", "/health/", "no answer (silent image)")),
        );
    });

    it("a worker that never becomes ready: fails with the ready line it waited for and the worker's last log lines", async () => {
        emulator.options.unhealthyImages.push(celeryImage("9"));
        const line = `SITE_RELEASE=${digest("9")} ready`;
        await gateFails(setCelery, "local-celery", "9", "4", new RegExp(`CapRover app local-celery on 127\\.0\\.0\\.1:\\d+: the new release never logged "${line}" within the deploy timeout of ${DEPLOY_TIMEOUT_S * 1000} ms[^]*ImportError: emulated start-up failure`), () =>
            // The deadline passes once the gate has read the new worker's logs (its task started).
            void afterDeploy("local-celery", newWorkerLogs(celeryImage("9"))).then(() => clock.advance(DEPLOY_TIMEOUT_S * 1000)),
        );
    });

    it("an app that already exists (made by hand): refused, naming how to take it over; left alone", async () => {
        clearTokenCache();
        const operator = new CapRoverClient({ url: emulator.url, password: EMULATOR_PASSWORD });
        await operator.registerApp("local-celerybeat", false);
        await operator.updateApp((await operator.getApp("local-celerybeat"))!, { description: "made by hand" });
        await configure(ws, "set", "site:topology", "essential");
        await configure(ws, "set", "--path", "site:imageDigests.celery.celery-worker", celeryImage("6"));
        const errors = await failingUp();
        expect(errors).to.match(/create of CapRover app local-celerybeat on 127\.0\.0\.1:\d+ failed: app local-celerybeat already exists \(CapRover 1103: App Name already exists\. Please use a different name\) and this stack did not create it; to take it over set site:adoptExistingApps true/);
        expect(emulator.app("local-celerybeat")!.description).to.equal("made by hand");
        await configure(ws, "set", "site:topology", "unified");
        await converges();
        expect(emulator.app("local-celerybeat"), "the hand-made app stays").to.not.equal(undefined);
    });

    it("an app carrying someone else's pre-deploy function: the preview fails on releaseEnvVar, naming the way out; nothing changes", async () => {
        clearTokenCache();
        const operator = new CapRoverClient({ url: emulator.url, password: EMULATOR_PASSWORD });
        const theirs = "var preDeployFunction = function (app, spec) { return Promise.resolve(spec); };";
        await operator.updateApp((await operator.getApp("local-web"))!, { preDeployFunction: theirs });
        const from = emulator.requests.length;
        const r = await ws.pulumi(["preview", ...stack], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
        expect(r.code, "exit code").to.not.equal(0);
        const errors = errorLines(r).join("\n");
        if (process.env.FAULT_MATRIX_SHOW) console.log(errorLines(r).map((l) => `    | ${l}`).join("\n"));
        expect(errors).to.match(/property releaseEnvVar value \{SITE_RELEASE\} has a problem: app local-web has a pre-deploy function of its own \(CapRover's dashboard: App Configs, Pre-Deploy Function\)/);
        expect(errors).to.include('Remove that function from the app, or give the app no release variable (releaseEnvVar "")');
        expect(emulator.requests.slice(from).filter((q) => q.method !== "GET" && q.path !== "/login"), "changes").to.deep.equal([]);
        expect(emulator.app("local-web")!.preDeployFunction).to.equal(theirs);
        // Put back as the provider wrote it: the stack converges.
        await operator.updateApp((await operator.getApp("local-web"))!, { preDeployFunction: releaseFunction("SITE_RELEASE") });
        await converges();
    });

    it("SIGINT during up: the CLI cancels after the operations in flight; up converges after", async () => {
        // The deploy's build (3 s) lasts until the CLI has said it cancels: the signal lands mid-deploy.
        emulator.options.deployMs = 3000;
        const build = testClock.hold((ms) => ms === 3000);
        await setWeb("a");
        let printed = "";
        const running = up({ allowFailure: true, onOutput: (text) => /cancel/i.test((printed += text)) && build.release() });
        await whenRequest(emulator, (q) => q.method === "POST" && q.path === "/user/apps/appData/local-web");
        await build.held();
        signalAll("SIGINT");
        const r = await running;
        build.release();
        emulator.options.deployMs = 0;
        if (process.env.FAULT_MATRIX_SHOW) console.log(`${r.stdout}\n${r.stderr}`.split("\n").filter((l) => /cancel|interrupt|signal/i.test(l)).map((l) => `    | ${l}`).join("\n"));
        expect(`${r.stdout}\n${r.stderr}`).to.match(/cancel/i);
        await converges();
        expect(emulator.currentImage("local-web")).to.equal(webImage("a"));
    });

    it("an app deleted and one changed outside Pulumi: refresh records both; up recreates and restores", async () => {
        clearTokenCache();
        const operator = new CapRoverClient({ url: emulator.url, password: EMULATOR_PASSWORD });
        await operator.deleteApp("local-celery");
        await operator.updateApp((await operator.getApp("local-web"))!, { instanceCount: 3 });
        const r = await ws.pulumi(["refresh", ...stack, "--yes", "--skip-preview"], { timeoutMs: CLI_TIMEOUT });
        expect(r.code).to.equal(0);
        const s = await state();
        expect(s["local-celery"], "deleted app gone from the state").to.equal(undefined);
        expect(s["local-web"].instanceCount).to.equal(3);
        await converges();
        expect(emulator.app("local-web")!.instanceCount).to.equal(1);
        expect(emulator.app("local-celery")).to.not.equal(undefined);
    });
});
