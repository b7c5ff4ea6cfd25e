/**
 * The emulator's own contract, checked at the HTTP level: envelope and status codes, headers,
 * app-name rules, update semantics, build states, serial builds, and the standalone command line.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { expect } from "chai";
import { httpRequest, probe } from "../../src/api/transport";
import { parseArgs } from "../../emulator/cli";
import { CanaryOptions, CapRoverEmulator, PLACEHOLDER_IMAGE } from "../../emulator/caprover";
const ROOT = path.resolve(__dirname, "..", "..", "..");
import { FAST, PASSWORD, client, failure, registered, image, until, useEmulator } from "../support";
import { useTestClock } from "../clock";

interface Envelope {
    status: number;
    description: string;
    data: Record<string, unknown>;
}

describe("CapRover emulator", () => {
    const emulator = useEmulator();
    const clock = useTestClock();

    /** A raw API call; headers as given (no defaults), so header handling itself is tested. */
    async function raw(method: string, apiPath: string, headers: Record<string, string>, body?: unknown): Promise<{ http: number; envelope?: Envelope; text: string }> {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const answer = await httpRequest(new URL(`${emulator().url}/api/v2${apiPath}`), {
            method,
            headers: payload ? { ...headers, "content-type": "application/json" } : headers,
            body: payload,
            timeoutMs: FAST.requestTimeoutMs,
        });
        let envelope: Envelope | undefined;
        try {
            envelope = JSON.parse(answer.text) as Envelope;
        } catch {
            envelope = undefined;
        }
        return { http: answer.httpStatus, envelope, text: answer.text };
    }

    async function session(): Promise<Record<string, string>> {
        return { "x-namespace": "captain", "x-captain-auth": await client(emulator()).token() };
    }

    it("answers HTTP 200 with {status, description, data}, also for errors", async () => {
        const ok = await raw("POST", "/login", { "x-namespace": "captain" }, { password: PASSWORD });
        expect(ok.http).to.equal(200);
        expect(ok.envelope).to.deep.include({ status: 100, description: "Login succeeded" });
        expect(ok.envelope!.data.token).to.be.a("string");
        const wrong = await raw("POST", "/login", { "x-namespace": "captain" }, { password: "nope" });
        expect([wrong.http, wrong.envelope]).to.deep.equal([200, { status: 1105, description: "Invalid credentials", data: {} }]);
    });

    it("checks x-namespace and x-captain-auth", async () => {
        expect((await raw("GET", "/user/apps/appDefinitions", { "x-namespace": "other" })).envelope!.status).to.equal(1000);
        expect((await raw("GET", "/user/apps/appDefinitions", { "x-namespace": "captain" })).envelope).to.deep.include({ status: 1102, description: "The request is not authorized." });
        expect((await raw("GET", "/user/apps/appDefinitions", { "x-namespace": "captain", "x-captain-auth": "forged" })).envelope!.status).to.equal(1106);
        expect((await raw("GET", "/user/apps/appDefinitions", await session())).envelope!.status).to.equal(100);
    });

    it("accepts an app token only for that app's deploys", async () => {
        const c = client(emulator());
        await c.registerApp("tok", false);
        await c.updateApp((await c.getApp("tok"))!, { appDeployTokenConfig: { enabled: true } });
        const token = emulator().app("tok")!.appDeployTokenConfig!.appDeployToken!;
        const headers = { "x-namespace": "captain", "x-captain-app-token": token };
        const content = JSON.stringify({ schemaVersion: 2, imageName: image("1") });
        expect((await raw("POST", "/user/apps/appData/tok?detached=1", headers, { captainDefinitionContent: content })).envelope!.status).to.equal(101);
        expect((await raw("GET", "/user/apps/appDefinitions", headers)).envelope!.status).to.equal(1102);
        await c.registerApp("other", false);
        expect((await raw("POST", "/user/apps/appData/other?detached=1", headers, { captainDefinitionContent: content })).envelope!.status).to.equal(1102);
    });

    it("enforces CapRover's app-name rule and unique names", async () => {
        const c = client(emulator());
        for (const bad of ["", "-web", "web-", "Web", "web_1", "a".repeat(50)]) {
            expect((await failure(() => c.registerApp(bad, false))).message, bad).to.include("status 1104");
        }
        await c.registerApp("a".repeat(49), false);
        await c.registerApp("web-2", false);
        expect((await failure(() => c.registerApp("web-2", false))).message).to.include("status 1103: App Name already exists");
    });

    it("resets omitted scalars on update, keeps envVars/volumes/ports when absent, replaces them when present", async () => {
        const headers = await session();
        await registered(client(emulator()), "upd");
        const post = (body: unknown) => raw("POST", "/user/apps/appDefinitions/update", headers, body);
        await post({ appName: "upd", instanceCount: 2, forceSsl: false, websocketSupport: true, containerHttpPort: 8000, description: "d", envVars: [{ key: "A", value: "1" }], ports: [{ containerPort: 5000, hostPort: 5001 }] });
        await post({ appName: "upd" });
        expect(emulator().app("upd")).to.deep.include({
            instanceCount: 2,
            websocketSupport: false,
            containerHttpPort: 80,
            description: "",
            envVars: [{ key: "A", value: "1" }],
            ports: [{ containerPort: 5000, hostPort: 5001 }],
        });
        await post({ appName: "upd", envVars: [] });
        expect(emulator().app("upd")!.envVars).to.deep.equal([]);
        expect((await post({ appName: "upd", forceSsl: true })).envelope).to.deep.include({ status: 1108, description: "Cannot force SSL without at least one SSL-enabled domain!" });
        expect((await post({ appName: "nope" })).envelope).to.deep.include({ status: 1000, description: "App (nope) could not be found. Make sure that you have created the app." });
    });

    it("stores serviceUpdateOverride (trimmed) and, like CapRover, refuses only text that is neither JSON nor YAML (or reads as nothing)", async () => {
        const headers = await session();
        await registered(client(emulator()), "ovr");
        const post = (serviceUpdateOverride: unknown) => raw("POST", "/user/apps/appDefinitions/update", headers, { appName: "ovr", description: "kept?", serviceUpdateOverride });
        const json = '{"UpdateConfig":{"Order":"stop-first"}}';
        expect((await post(` ${json}\n`)).envelope!.status).to.equal(100);
        expect(emulator().app("ovr")).to.deep.include({ serviceUpdateOverride: json, description: "kept?" });
        expect((await post("UpdateConfig:\n  Order: stop-first\n")).envelope!.status).to.equal(100);
        const refusal = { status: 1110, description: "serviceUpdateOverride must be either a valid JSON object starting with { or an equivalent yaml" };
        for (const bad of ["{not json", "[1, 2", "~", "false"]) {
            expect((await post(bad)).envelope, bad).to.deep.include(refusal);
        }
        // A refused update changes nothing.
        expect(emulator().app("ovr")!.serviceUpdateOverride).to.equal("UpdateConfig:\n  Order: stop-first");
        // CapRover 1.15.3 checks only that the text reads as something (Utils.convertYamlOrJsonToObject):
        // an array, a scalar or a sentence pass (the real server answered 100 to "[1, 2]").
        for (const odd of ["[1, 2]", "just words", "42"]) expect((await post(odd)).envelope!.status, odd).to.equal(100);
        // Left out (or empty), it resets, as every omitted scalar does.
        expect((await post(undefined)).envelope!.status).to.equal(100);
        expect(emulator().app("ovr")!.serviceUpdateOverride).to.equal("");
    });

    it("generates a deploy token once and keeps it when the update sends it back", async () => {
        const c = client(emulator());
        await c.registerApp("t", false);
        await c.updateApp((await c.getApp("t"))!, { appDeployTokenConfig: { enabled: true } });
        const token = emulator().app("t")!.appDeployTokenConfig!.appDeployToken;
        await c.updateApp((await c.getApp("t"))!, { instanceCount: 2 });
        expect(emulator().app("t")!.appDeployTokenConfig).to.deep.equal({ enabled: true, appDeployToken: token });
        await c.updateApp((await c.getApp("t"))!, { appDeployTokenConfig: { enabled: false } });
        expect(emulator().app("t")!.appDeployTokenConfig).to.deep.equal({ enabled: false });
    });

    it("register schedules the placeholder's deploy: until it ends, updates and deletes answer 1108 in CapRover's words", async () => {
        emulator().holdPlaceholders();
        const c = client(emulator());
        await c.registerApp("ph", false);
        // As CapRover's createNewVersion: version 0 exists from the deploy's start, its image once it ends.
        expect(emulator().app("ph")!.isAppBuilding).to.equal(true);
        expect(emulator().app("ph")!.versions.map((v) => v.deployedImageName)).to.deep.equal([undefined]);
        const headers = await session();
        const refused = { status: 1108, description: "Build in-progress for ph. Please wait..." };
        expect((await raw("POST", "/user/apps/appDefinitions/update", headers, { appName: "ph", instanceCount: 2 })).envelope).to.deep.include(refused);
        expect((await raw("POST", "/user/apps/appDefinitions/delete", headers, { appName: "ph" })).envelope).to.deep.include(refused);
        emulator().releasePlaceholders();
        await c.waitForBuild("ph", "test");
        expect(emulator().app("ph")!.versions.map((v) => v.deployedImageName)).to.deep.equal([PLACEHOLDER_IMAGE]);
        expect((await raw("POST", "/user/apps/appDefinitions/update", headers, { appName: "ph", instanceCount: 2 })).envelope!.status).to.equal(100);
    });

    it("a placeholder that fails to deploy (an offline server) leaves version 0 without an image: updates save the definition and answer 1110; a deploy applies it", async () => {
        emulator().options.placeholderFails = true;
        const c = client(emulator());
        await registered(c, "off");
        expect(emulator().app("off")).to.deep.include({ deployedVersion: 0 });
        expect(emulator().app("off")!.versions.map((v) => v.deployedImageName)).to.deep.equal([undefined]);
        expect((await c.buildStatus("off")).isBuildFailed).to.equal(true);
        const headers = await session();
        const answer = await raw("POST", "/user/apps/appDefinitions/update", headers, { appName: "off", envVars: [{ key: "A", value: "1" }] });
        expect(answer.envelope).to.deep.include({ status: 1110, description: "ImageName for deployed version is not available, this version was probably failed due to an unsuccessful build!" });
        expect(emulator().app("off")!.envVars).to.deep.equal([{ key: "A", value: "1" }]);
        await c.deployImage("off", image("1"));
        await c.waitForBuild("off", "test");
        await emulator().serviceUpdated("off");
        expect(emulator().servingImage("off")).to.equal(image("1"));
    });

    it("out of sequence (fault switch): the deploy fails with Swarm's words, the definition names the new image, the old task keeps running", async () => {
        const c = client(emulator());
        await registered(c, "seq");
        emulator().outOfSequence();
        await c.deployImage("seq", image("2"));
        await c.waitForBuild("seq", "test");
        // As CapRover: the build is reported done, then the service update fails.
        await emulator().serviceUpdated("seq");
        const status = await c.buildStatus("seq");
        expect(status.isBuildFailed).to.equal(true);
        expect(status.logs.lines).to.include("Error: (HTTP code 500) server error - rpc error: code = Unknown desc = update out of sequence");
        expect(emulator().currentImage("seq")).to.equal(PLACEHOLDER_IMAGE);
        await c.deployImage("seq", image("2"));
        await c.waitForBuild("seq", "test");
        await emulator().serviceUpdated("seq");
        expect(emulator().currentImage("seq")).to.equal(image("2"));
    });

    it("a deploy's service update comes after the build is reported done, with the definition read as the build ended: a definition change sent in between is undone (serviceUpdateLagMs)", async () => {
        emulator().options.serviceUpdateLagMs = 300;
        const lag = clock.hold((ms) => ms === 300);
        const c = client(emulator());
        await registered(c, "late");
        await c.updateApp((await c.getApp("late"))!, { envVars: [{ key: "SITE_RELEASE", value: "old" }] });
        await c.deployImage("late", image("2"));
        expect(await c.waitForBuild("late", "test")).to.include({ isAppBuilding: false, isBuildFailed: false });
        await lag.held(1);
        // Reported deployed, not yet on the service.
        expect(emulator().app("late")!.versions.at(-1)!.deployedImageName).to.equal(image("2"));
        expect(emulator().currentImage("late")).to.equal(PLACEHOLDER_IMAGE);
        // A definition change updates the service at once, with the deployed version's image...
        await c.updateApp((await c.getApp("late"))!, { envVars: [{ key: "SITE_RELEASE", value: "new" }] });
        expect([emulator().currentImage("late"), emulator().currentEnv("late")]).to.deep.equal([image("2"), { SITE_RELEASE: "new" }]);
        // ...and the deploy's late update puts back what the definition said as its build ended.
        lag.release();
        await until(() => emulator().currentEnv("late")?.SITE_RELEASE === "old", "the deploy's late service update");
        expect(emulator().currentImage("late")).to.equal(image("2"));
        expect(emulator().app("late")!.envVars).to.deep.equal([{ key: "SITE_RELEASE", value: "new" }]);
    });

    it("runs the app's pre-deploy function on every service update, with the spec, and answers a bare HTTP 500 when it throws (the definition saved)", async () => {
        const c = client(emulator());
        await registered(c, "pre");
        const fn = "var preDeployFunction = function (app, spec) { spec.TaskTemplate.ContainerSpec.Env.push('IMAGE=' + spec.TaskTemplate.ContainerSpec.Image + ' of ' + app.appName); return Promise.resolve(spec); };";
        await c.updateApp((await c.getApp("pre"))!, { preDeployFunction: fn, envVars: [{ key: "A", value: "1" }] });
        expect(emulator().currentEnv("pre")).to.deep.equal({ A: "1", IMAGE: `${PLACEHOLDER_IMAGE} of pre` });
        await c.deployImage("pre", image("3"));
        await c.waitForBuild("pre", "test");
        await emulator().serviceUpdated("pre");
        expect(emulator().currentEnv("pre")).to.deep.equal({ A: "1", IMAGE: `${image("3")} of pre` });
        const broken = await raw("POST", "/user/apps/appDefinitions/update", await session(), { ...(await c.getApp("pre"))!, preDeployFunction: "x => x", envVars: [{ key: "A", value: "2" }] });
        expect([broken.http, broken.text]).to.deep.equal([500, "Internal Server Error"]);
        expect(emulator().app("pre")).to.include({ preDeployFunction: "x => x" });
        expect(emulator().currentEnv("pre")).to.deep.equal({ A: "1", IMAGE: `${image("3")} of pre` });
        // A deploy's service update runs it too: the build fails after the version was recorded.
        await c.deployImage("pre", image("4"));
        await c.waitForBuild("pre", "test");
        await emulator().serviceUpdated("pre");
        const failed = await c.buildStatus("pre");
        expect(failed.isBuildFailed).to.equal(true);
        expect(failed.logs.lines.slice(-2)[0]).to.equal("Deploy failed!");
        expect(emulator().currentImage("pre")).to.equal(image("3"));
    });

    it("reports build states: building, then deployed; a failing image leaves the old version deployed", async () => {
        // A build lasts (its 40 ms held) until the test has seen it building.
        emulator().options.deployMs = 40;
        emulator().failDeploysOf(image("f"));
        const c = client(emulator());
        await registered(c, "b");
        const build = clock.hold((ms) => ms === 40);
        const built = async () => {
            while ((await c.buildStatus("b")).isAppBuilding) await new Promise((r) => setTimeout(r, 5));
        };
        expect(emulator().app("b")!.versions[0].deployedImageName).to.equal(PLACEHOLDER_IMAGE);
        await c.deployImage("b", image("1"));
        expect((await c.buildStatus("b")).isAppBuilding).to.equal(true);
        expect(emulator().app("b")!.isAppBuilding).to.equal(true);
        build.release();
        await built();
        const done = await c.buildStatus("b");
        expect(done).to.include({ isAppBuilding: false, isBuildFailed: false });
        expect(done.logs.lines.slice(-1)).to.deep.equal(["Deployed successfully!"]);
        expect(done.logs.lines).to.have.length(50);
        await c.deployImage("b", image("f"));
        await built();
        expect(await c.buildStatus("b")).to.include({ isAppBuilding: false, isBuildFailed: true });
        const app = emulator().app("b")!;
        expect(app.versions.map((v) => v.deployedImageName)).to.deep.equal([PLACEHOLDER_IMAGE, image("1"), undefined]);
        expect(app.deployedVersion).to.equal(1);
    });

    it("answers a deploy that is not detached when it ends: 100, or 1109 for a failed build", async () => {
        emulator().failDeploysOf(image("f"));
        const headers = await session();
        await client(emulator()).registerApp("s", false);
        const deploy = (img: string) => raw("POST", "/user/apps/appData/s", headers, { captainDefinitionContent: JSON.stringify({ schemaVersion: 2, imageName: img }) });
        expect((await deploy(image("1"))).envelope!.status).to.equal(100);
        expect((await deploy(image("f"))).envelope!.status).to.equal(1109);
        expect((await raw("POST", "/user/apps/appData/s", headers, {})).envelope!.status).to.equal(1108);
    });

    it("runs deploys one at a time with serialBuilds, as CapRover's build queue does", async () => {
        // Builds last (their 40 ms held) until the test lets them end: q2's must not start before q1's has.
        emulator().options.deployMs = 40;
        emulator().options.serialBuilds = true;
        const builds = clock.hold((ms) => ms === 40);
        const c = client(emulator());
        // Their placeholders deployed first, so nothing but the queue holds q2's deploy back.
        await registered(c, "q1");
        await registered(c, "q2");
        await c.deployImage("q1", image("1"));
        await c.deployImage("q2", image("2"));
        await builds.held(1);
        // Both deploys were accepted; q2 waits in the queue: its pull has not started.
        expect((await c.buildStatus("q2")).isAppBuilding).to.equal(true);
        expect(builds.delays).to.have.length(1);
        expect((await c.buildStatus("q2")).logs.lines.some((l) => l.includes(`Pulling image ${image("2")}`))).to.equal(false);
        builds.release();
        while ((await c.buildStatus("q2")).isAppBuilding) await new Promise((r) => setTimeout(r, 5));
        expect(emulator().app("q1")!.versions.at(-1)!.deployedImageName).to.equal(image("1"));
        expect(emulator().app("q2")!.versions.at(-1)!.deployedImageName).to.equal(image("2"));
    });

    it("serves the site's canary view on web apps (options.canary) through the brokers the apps' REDIS_URL names; without it the path answers 404", async () => {
        clock.freeze();
        const c = client(emulator());
        const app = async (appName: string, img: string, web: boolean) => {
            await registered(c, appName);
            await c.updateApp((await c.getApp(appName))!, { notExposeAsWebApp: !web, envVars: [{ key: "SITE_RELEASE", value: img.split("@")[1] }] });
            await c.deployImage(appName, img);
            await c.waitForBuild(appName, "test");
        };
        await app("web", image("a"), true);
        await app("celery", image("c"), false);
        const view = async (path = "/canary/") => {
            const answer = await probe(`http://web.emulator.test${path}`, { timeoutMs: FAST.requestTimeoutMs, connectTo: `127.0.0.1:${emulator().port}` });
            if (!("status" in answer)) throw new Error(answer.error);
            return { status: answer.status, body: JSON.parse(answer.body.startsWith("<") ? "null" : answer.body) as Record<string, unknown> | null };
        };
        expect(await view()).to.deep.equal({ status: 404, body: null });
        // Beat inside the worker: its heartbeat every 30 s since the worker's task came up. Neither
        // app has REDIS_URL: both reach the stand-in's default broker, one redis on the emulator's host.
        const canary: CanaryOptions = { workerApp: "celery" };
        emulator().options.canary = canary;
        clock.advance(31_000);
        const worker = () => `celery@${emulator().apps.get("celery")!.containers.at(-1)!.id}`;
        expect(await view()).to.deep.equal({ status: 200, body: { link: "ok", web_release: `sha256:${"a".repeat(64)}`, release: `sha256:${"c".repeat(64)}`, worker: worker(), beat: { age_s: 1, release: `sha256:${"c".repeat(64)}` } } });
        expect((await view("/health/")).body).to.deep.equal({ status: "ok", release: `sha256:${"a".repeat(64)}` });
        canary.beatStalled = true;
        expect((await view()).body!.beat).to.deep.equal({ age_s: 31, release: `sha256:${"c".repeat(64)}` });
        canary.beatApp = "beat";
        expect((await view()).body!.beat).to.equal(null);
        // Candidates (a stack flipping between beat alone and beat in the worker): the worker beats
        // only where its process runs beat, as its description says.
        canary.beatApp = ["beat", "celery"];
        expect((await view()).body!.beat, "a worker without --beat").to.equal(null);
        await c.updateApp((await c.getApp("celery"))!, { description: "celery (celery-unified): celery --app config.celery worker --beat" });
        expect((await view()).body!.beat).to.deep.include({ release: `sha256:${"c".repeat(64)}` });
        canary.beatApp = "beat";

        // Each link follows from the apps' REDIS_URL. The managed broker (a redis-server process, its
        // password from its environment) answers at srv-captain--redis:6379 once its task is up.
        const redisUrl = (password: string, db = 0) => `redis://:${password}@srv-captain--redis:6379/${db}`;
        const setEnv = async (appName: string, env: Record<string, string>) => {
            const def = (await c.getApp(appName))!;
            await c.updateApp(def, { envVars: [...def.envVars.filter((e) => !(e.key in env)), ...Object.entries(env).map(([key, value]) => ({ key, value }))] });
        };
        const link = async () => {
            const { status, body } = await view();
            expect(body).to.include({ web_release: `sha256:${"a".repeat(64)}` });
            return { status, link: body!.link, ...(body!.error ? { error: body!.error } : {}) };
        };
        await setEnv("web", { REDIS_URL: redisUrl("broker-pw-1") });
        expect(await link(), "no broker app yet").to.deep.equal({ status: 503, link: "enqueue", error: "ConnectionError: Error -2 connecting to srv-captain--redis:6379. Name or service not known." });
        await registered(c, "redis");
        const command = ["sh", "-c", 'exec redis-server --requirepass "$REDIS_PASSWORD" --appendonly yes --dir /data'];
        await c.updateApp((await c.getApp("redis"))!, { notExposeAsWebApp: true, envVars: [{ key: "REDIS_PASSWORD", value: "broker-pw-1" }], serviceUpdateOverride: JSON.stringify({ TaskTemplate: { ContainerSpec: { Command: command } } }) });
        await c.deployImage("redis", image("9", "redis"));
        await c.waitForBuild("redis", "test");
        expect(await link(), "the worker still on the default broker").to.deep.include({ status: 503, link: "delivery" });
        await setEnv("celery", { REDIS_URL: redisUrl("broker-pw-1") });
        expect(await link()).to.deep.equal({ status: 200, link: "ok" });
        await setEnv("web", { REDIS_URL: redisUrl("wrong-pw") });
        expect(await link()).to.deep.equal({ status: 503, link: "enqueue", error: "AuthenticationError: invalid username-password pair or user is disabled." });
        await setEnv("web", { REDIS_URL: redisUrl("broker-pw-1") });
        await setEnv("celery", { REDIS_URL: redisUrl("broker-pw-1", 1) });
        expect(await link(), "the worker on another database").to.deep.equal({ status: 503, link: "delivery", error: "no worker took the canary within 5 s" });
        await setEnv("celery", { REDIS_URL: redisUrl("wrong-pw") });
        expect((await link()).link, "the worker refused by the broker").to.equal("delivery");
        await setEnv("celery", { REDIS_URL: redisUrl("broker-pw-1") });
        expect((await link()).link).to.equal("ok");
        // A hung worker takes the task and never writes its result; none up: nobody takes it.
        emulator().options.silentImages.push(image("c"));
        expect(await link()).to.deep.equal({ status: 503, link: "result", error: "a worker took the canary (state STARTED) but no result came back within 5 s" });
        await c.updateApp((await c.getApp("celery"))!, { instanceCount: 0 });
        expect((await link()).link).to.equal("delivery");
        // The broker app gone: its name no longer resolves.
        await c.updateApp((await c.getApp("redis"))!, { instanceCount: 0 });
        expect((await link()).error).to.equal("ConnectionError: Error -2 connecting to srv-captain--redis:6379. Name or service not known.");
        expect(emulator().answers("web").map((a) => a.status)).to.deep.equal([404, 200, 200, 200, 200, 200, 200, 503, 503, 200, 503, 503, 503, 200, 503, 503, 503]);
    });

    it("answers HTTP 404 for routes CapRover does not have", async () => {
        const answer = await raw("GET", "/user/nothing-here", await session());
        expect(answer.http).to.equal(404);
        expect(answer.envelope).to.equal(undefined);
    });

    it("listens on 127.0.0.1 only", () => {
        expect(emulator().url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    });

    it("refuses passwords CapRover would not accept", () => {
        expect(() => new CapRoverEmulator({ password: "x".repeat(30) })).to.throw(/1 to 29 characters/);
    });
});

describe("CapRover emulator without root SSL", () => {
    const emulator = useEmulator({ hasRootSsl: false });

    it("says so in its system info and answers enablebasedomainssl with CapRover's 1000, checked before the app exists", async () => {
        const c = client(emulator());
        // CapRover 1.15.3 leaves the field out until the root domain has a certificate.
        expect(await c.systemInfo()).to.not.have.property("hasRootSsl");
        await c.registerApp("web", false);
        for (const appName of ["web", "missing"]) {
            const e = await failure(() => c.enableBaseDomainSsl(appName));
            expect(e.message).to.include("status 1000: You have to first enable SSL for your root domain");
        }
        expect(emulator().app("web")!.hasDefaultSubDomainSsl).to.equal(false);
    });
});

describe("emulator command line", () => {
    it("parses the flags of npm run caprover:emulator", () => {
        expect(parseArgs(["--port", "3001", "--password", "pw", "--deploy-seconds", "2.5", "--fail-image", "a@sha256:1", "--serial-builds", "--quiet"])).to.deep.include({
            port: 3001,
            password: "pw",
            deployMs: 2500,
            failingImages: ["a@sha256:1"],
            serialBuilds: true,
            quiet: true,
        });
        expect(parseArgs(["--port", "0"], { CAPROVER_PASSWORD: "from-env" }).password).to.equal("from-env");
        expect(parseArgs(["--password", "pw", "--no-root-ssl"]).hasRootSsl).to.equal(false);
        expect(parseArgs(["--password", "pw", "--canary-beat-app", "beat", "--canary-worker-app", "celery"]).canary).to.deep.equal({ workerApp: "celery", beatApp: "beat" });
        expect(() => parseArgs(["--password", "pw", "--canary-beat-app", "beat"])).to.throw(/--canary-beat-app needs --canary-worker-app/);
        expect(() => parseArgs(["--port", "1"])).to.throw(/--password .* is required/);
        expect(() => parseArgs(["--password", "x", "--port", "-1"])).to.throw(/--port needs a number/);
        expect(() => parseArgs(["--password", "x", "--bogus"])).to.throw(/unknown argument "--bogus"/);
    });

    it("runs standalone on 127.0.0.1 and stops on SIGTERM", async () => {
        const child: ChildProcess = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "provider/emulator/cli.ts"), "--port", "0", "--password", PASSWORD, "--quiet"], {
            cwd: ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        });
        try {
            const url = await new Promise<string>((resolve, reject) => {
                let out = "";
                child.stdout!.on("data", (d: Buffer) => {
                    out += d.toString();
                    const m = /CapRover emulator on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
                    if (m) resolve(m[1]);
                });
                child.on("exit", (code) => reject(new Error(`emulator exited with ${code}: ${out}`)));
            });
            expect((await client({ url }).systemInfo()).rootDomain).to.equal("emulator.test");
        } finally {
            const exited = new Promise((r) => child.once("exit", r));
            child.kill("SIGTERM");
            await exited;
        }
    });
});
