/**
 * The CapRoverApp provider against the emulator: create / read / update / delete / diff / check,
 * drift seen by read, health-gated deploys, failed deploys.
 */
import { expect } from "chai";
import { apr1 } from "../src/app/apr1";
import { sleep } from "../src/api/transport";
import { releaseOf } from "../src/app/definition";
import { releaseFunction } from "../src/app/release";
import { appHandler } from "../src/resources/app";
import { PartialFailure } from "../src/resources/handler";
import { TestAppInputs as AppInputs, TestAppOutputs as AppOutputs, TestAppProvider as CapRoverAppProvider, AUTH_SECRET, ENV_SECRET, PASSWORD, client, connection, context, expectNoSecrets, failure, image, probeOf, until, useEmulator, webInputs, whenRequest, workerInputs } from "./support";
import { PLACEHOLDER_IMAGE, SeenRequest } from "../emulator/caprover";
import { useTestClock } from "./clock";

/**
 * The deploy timeout of the tests about it. The clock stands still until the test moves it past
 * the deadline, but every request of the deploy still gets at most the time left as its own
 * timeout (a real timer): so the limit is one no request reaches on a busy machine.
 */
const DEADLINE_MS = 60_000;
/** A container start that never ends during a test, however far it moves the clock. */
const NEVER_MS = 100 * DEADLINE_MS;

/** What a service carrying beat gets: the raised open-file limit, stop-first updates. */
const BEAT_OVERRIDE = JSON.stringify({ TaskTemplate: { ContainerSpec: { Ulimits: [{ Name: "nofile", Soft: 65536, Hard: 65536 }] } }, UpdateConfig: { Order: "stop-first" } });

describe("CapRoverApp provider", () => {
    const emulator = useEmulator();
    // Tests about time hold the clock (see clock.ts): it moves past a deadline or a start time only
    // once the emulator has seen what the test waits for.
    const clock = useTestClock();
    const lines: string[] = [];
    const provider = new CapRoverAppProvider({ log: (l) => lines.push(l) });
    beforeEach(() => (lines.length = 0));

    /** The first request matching `match` after the app's next deploy request. */
    const afterDeploy = (appName: string, match: (r: SeenRequest) => boolean) =>
        whenRequest(emulator(), (r) => r.method === "POST" && r.path === `/user/apps/appData/${appName}`).then(() => whenRequest(emulator(), match));
    /** A read of the app's runtime logs (a worker's gate). */
    const logsOf = (appName: string) => (r: SeenRequest) => r.path === `/user/apps/appData/${appName}/logs`;

    /** check, then create: what the engine does. */
    async function create(inputs: AppInputs): Promise<AppOutputs> {
        const checked = await provider.check({} as AppInputs, inputs);
        expect(checked.failures).to.deep.equal([]);
        const result = await provider.create(checked.inputs!);
        expect(result.id).to.equal(inputs.appName);
        return result.outs!;
    }

    const requests = (path: string) => emulator().requests.filter((r) => r.path === path);
    /** update as the engine calls it, with the warnings the user would see. */
    async function updateWarned(appName: string, outs: AppOutputs, next: AppInputs): Promise<{ updated: Omit<AppOutputs, "connection">; warnings: string[] }> {
        const warnings: string[] = [];
        const { connection: _c, ...olds } = outs;
        const { connection: conn, ...news } = next;
        const updated = await appHandler.update({ ...context(conn, appName), warn: (l: string) => warnings.push(l) }, appName, olds, news);
        return { updated, warnings };
    }

    describe("create", () => {
        it("registers the app, writes its definition, deploys the image and waits for health", async () => {
            const outs = await create(webInputs(emulator()));
            const app = emulator().app("web")!;
            expect(app).to.include({ instanceCount: 1, notExposeAsWebApp: false, forceSsl: true, hasDefaultSubDomainSsl: true, containerHttpPort: 80 });
            // One definition change, then the deploy: the definition keeps the inputs' variables and
            // the provider's pre-deploy function, which names the release of the image each service
            // update runs; the state keeps only the inputs' variables.
            expect(requests("/user/apps/appDefinitions/update")).to.have.length(1);
            expect(app.envVars).to.deep.equal([
                { key: "DEBUG", value: "0" },
                { key: "DJANGO_SECRET_KEY", value: ENV_SECRET },
            ]);
            expect(app.preDeployFunction).to.equal(releaseFunction("SITE_RELEASE"));
            expect(emulator().currentEnv("web")).to.deep.equal({ DEBUG: "0", DJANGO_SECRET_KEY: ENV_SECRET, SITE_RELEASE: releaseOf(image("a")) });
            expect(Object.keys(outs.envVars)).to.deep.equal(["DEBUG", "DJANGO_SECRET_KEY"]);
            expect(emulator().servingImage("web")).to.equal(image("a"));
            expect(outs).to.include({ appUrl: "http://web.emulator.test", deployedImage: image("a"), image: image("a") });
            expect(outs.deployToken).to.equal(app.appDeployTokenConfig!.appDeployToken).and.to.have.length(32);
            expect(emulator().requests.some((r) => r.path === "app web/health/" && r.outcome === "http 200")).to.equal(true);
        });

        it("gives workers no web exposure and no health probe", async () => {
            const outs = await create(workerInputs(emulator()));
            expect(emulator().app("celery")).to.include({ notExposeAsWebApp: true, forceSsl: false });
            expect(outs.exposeAsWebApp).to.equal(false);
            expect(emulator().requests.some((r) => r.path.startsWith("app "))).to.equal(false);
        });

        it("puts Flower behind HTTP basic auth and probes its health with the credentials", async () => {
            const inputs = webInputs(emulator(), { appName: "flower", healthPath: "/healthcheck", httpAuth: { user: "admin", password: AUTH_SECRET }, envVars: {} });
            const outs = await create(inputs);
            const stored = emulator().app("flower")!.httpAuth!;
            expect(stored.user).to.equal("admin");
            expect(stored.passwordHashed).to.match(/^\$apr1\$/).and.not.include(AUTH_SECRET);
            expect(outs.httpAuth).to.deep.equal({ user: "admin", password: AUTH_SECRET });
            const probes = emulator().requests.filter((r) => r.path === "app flower/healthcheck");
            expect(probes.map((p) => p.outcome)).to.deep.equal(["http 200"]);
        });

        it("refuses an app someone else made (1103), naming how to take it over, and leaves it alone", async () => {
            const c = client(emulator());
            await c.registerApp("web", false);
            await c.updateApp((await c.getApp("web"))!, { description: "made by hand", instanceCount: 2 });
            const e = await failure(() => create(webInputs(emulator())));
            expect(e.message).to.include("create of CapRover app web on 127.0.0.1:");
            expect(e.message).to.match(/app web already exists \(CapRover 1103: .*\) and this stack did not create it/);
            expect(e.message).to.include("site:adoptExistingApps").and.include("pulumi import caprover:index:App");
            expect(emulator().app("web")).to.include({ description: "made by hand", instanceCount: 2 });
            expect(requests("/user/apps/appDefinitions/delete")).to.have.length(0);
        });

        it("adopts an existing app when asked: its definition is taken over, the image it runs is not redeployed", async () => {
            const c = client(emulator());
            await c.registerApp("web", false);
            await c.updateApp((await c.getApp("web"))!, { description: "made by hand", envVars: [{ key: "OLD", value: "1" }] });
            await c.deployImage("web", image("a"));
            while (emulator().servingImage("web") !== image("a")) await sleep(5);
            const deploys = () => emulator().requests.filter((r) => r.method === "POST" && r.path === "/user/apps/appData/web").length;
            expect(deploys()).to.equal(1);
            const outs = await create(webInputs(emulator(), { adopt: true }));
            expect(deploys()).to.equal(1);
            expect(emulator().app("web")!.envVars.map((e) => e.key).sort()).to.deep.equal(["DEBUG", "DJANGO_SECRET_KEY"]);
            // The definition change restarted the image it runs, now naming its release.
            expect(emulator().currentEnv("web")?.SITE_RELEASE).to.equal(releaseOf(image("a")));
            expect(outs).to.include({ image: image("a"), deployedImage: image("a"), description: "web (web): gunicorn" });
            expect(lines.some((l) => l.includes("taking over existing app web: adoption is on"))).to.equal(true);
        });

        it("takes over its own orphans without being asked: an app it registered (pristine) or tagged before a run was killed", async () => {
            await client(emulator()).registerApp("web", false);
            await create(webInputs(emulator()));
            expect(lines.some((l) => l.includes("registered and never configured"))).to.equal(true);
            expect(emulator().app("web")!.tags).to.deep.equal([{ tagName: "pulumi-site-test" }]);
            // Tagged by this stack, then forgotten (state lost): the next create takes it over again.
            lines.length = 0;
            await create(webInputs(emulator(), { image: image("b") }));
            expect(lines.some((l) => l.includes("carries this stack's tag pulumi-site-test"))).to.equal(true);
            expect(emulator().servingImage("web")).to.equal(image("b"));
        });

        it("records a partial create when the first deploy fails: the app stays, its state says the image is unverified", async () => {
            emulator().failDeploysOf(image("f"));
            const e = (await failure(() => create(webInputs(emulator(), { image: image("f") })))) as PartialFailure;
            expect(e).to.be.instanceOf(PartialFailure);
            expect(e.message).to.match(/the deploy failed/).and.match(/pull access denied/);
            // A first deploy has nothing older to fall back on: the message does not claim one.
            expect(e.message).not.to.include("previous version keeps serving");
            expect(e.id).to.equal("web");
            expect(e.outs).to.include({ appName: "web", image: "" });
            expect(emulator().apps.has("web")).to.equal(true);
            // The next run updates from that state and deploys.
            await provider.update("web", { ...(e.outs as AppOutputs), connection: connection(emulator()) }, webInputs(emulator()));
            expect(emulator().servingImage("web")).to.equal(image("a"));
        });
    });

    describe("CapRover's register-time placeholder deploy", () => {
        const outcomes = (path: string) => requests(path).map((r) => r.outcome);

        it("create waits for the placeholder's deploy before it configures the app (CapRover refuses changes meanwhile: 1108)", async () => {
            emulator().holdPlaceholders();
            const created = create(webInputs(emulator()));
            // The provider polls the build state while the placeholder deploys; nothing is sent meanwhile.
            await until(() => requests("/user/apps/appData/web").some((r) => r.method === "GET"), "a build-state poll");
            expect(requests("/user/apps/appDefinitions/update")).to.have.length(0);
            emulator().releasePlaceholders();
            const outs = await created;
            expect(outs.image).to.equal(image("a"));
            expect(outcomes("/user/apps/appDefinitions/update")).to.deep.equal(["100"]);
        });

        it("a change refused with 1108 (a build of the app in progress) waits for the build and is sent again", async () => {
            emulator().holdPlaceholders();
            const c = client(emulator(), lines);
            await c.registerApp("web", false);
            const updated = c.updateApp((await c.getApp("web"))!, { description: "after the build" });
            await until(() => outcomes("/user/apps/appDefinitions/update").includes("1108"), "the update refused with 1108");
            emulator().releasePlaceholders();
            await updated;
            expect(outcomes("/user/apps/appDefinitions/update")).to.deep.equal(["1108", "100"]);
            expect(lines.some((l) => l.includes("Build in-progress for web") && l.includes("waiting for the build of web to end"))).to.equal(true);
            expect(emulator().app("web")!.description).to.equal("after the build");
        });

        it("a persistent-data app's first change, refused until Swarm placed its service on a node (1000 'No NodeId was found. Try again in a minute...'), is sent again", async () => {
            // The placeholder's deploy held until the change was refused for it (1108), as on the
            // real server; on its own timer it may end first on a busy machine, and nothing is refused.
            emulator().holdPlaceholders();
            const c = client(emulator(), lines);
            await c.registerApp("broker", true);
            const updated = c.updateApp((await c.getApp("broker"))!, { volumes: [{ volumeName: "broker-data", containerPath: "/data" }] });
            await until(() => outcomes("/user/apps/appDefinitions/update").includes("1108"), "the change refused with 1108");
            emulator().releasePlaceholders();
            await updated;
            // Then refused until placed (1000), then taken.
            expect(outcomes("/user/apps/appDefinitions/update")).to.deep.equal(["1108", "1000", "100"]);
            expect(lines.some((l) => l.includes("No NodeId was found") && l.includes("not placed on a node yet, trying again"))).to.equal(true);
            expect(emulator().app("broker")!.volumes).to.deep.equal([{ volumeName: "broker-data", containerPath: "/data" }]);
        });

        it("a placeholder that failed (offline server: 1110 on update) is coped with: the definition is saved, the deploy applies it", async () => {
            emulator().options.placeholderFails = true;
            const outs = await create(workerInputs(emulator()));
            expect(outcomes("/user/apps/appDefinitions/update")).to.deep.equal(["1110"]);
            expect(outs).to.include({ image: image("c", "ghcr.io/example/site-celery"), deployedImage: image("c", "ghcr.io/example/site-celery") });
            expect(emulator().app("celery")!.envVars.map((e) => e.key)).to.deep.equal(["DEBUG", "DJANGO_SECRET_KEY"]);
            expect(emulator().currentEnv("celery")?.SITE_RELEASE).to.equal(releaseOf(image("c", "ghcr.io/example/site-celery")));
            expect(lines.some((l) => l.includes("has no deployed image yet (CapRover 1110"))).to.equal(true);
        });

        it("delete waits out a build of the app (1108) instead of failing", async () => {
            emulator().holdPlaceholders();
            await client(emulator()).registerApp("celery", false);
            const outs = { ...workerInputs(emulator()), appUrl: "", deployedImage: "", deployToken: "" } as AppOutputs;
            const deleted = provider.delete("celery", outs);
            await until(() => outcomes("/user/apps/appDefinitions/delete").includes("1108"), "the delete refused with 1108");
            emulator().releasePlaceholders();
            await deleted;
            expect(emulator().apps.has("celery")).to.equal(false);
        });
    });

    describe("read", () => {
        it("returns the live definition, so refresh sees drift", async () => {
            const inputs = webInputs(emulator());
            const outs = await create(inputs);
            const c = client(emulator());
            const live = (await c.getApp("web"))!;
            await c.updateApp(live, { instanceCount: 3, envVars: [...live.envVars, { key: "ADDED", value: "by hand" }] });
            const read = await provider.read("web", outs);
            expect(read.props).to.include({ instanceCount: 3 });
            expect(read.props!.envVars).to.deep.equal({ ...inputs.envVars, ADDED: "by hand" });
            const diff = await provider.diff("web", read.props!, inputs);
            expect(diff).to.deep.include({ changes: true, replaces: [] });
        });

        it("notices a basic-auth password changed outside Pulumi, though CapRover only keeps a hash", async () => {
            const inputs = webInputs(emulator(), { appName: "flower", httpAuth: { user: "admin", password: AUTH_SECRET }, healthPath: undefined });
            const outs = await create(inputs);
            expect((await provider.read("flower", outs)).props!.httpAuth).to.deep.equal({ user: "admin", password: AUTH_SECRET });
            emulator().apps.get("flower")!.def.httpAuth = { user: "admin", passwordHashed: apr1("changed-by-hand") };
            const read = await provider.read("flower", outs);
            expect(read.props!.httpAuth).to.deep.equal({ user: "admin", password: "" });
            expect((await provider.diff("flower", read.props!, inputs)).changes).to.equal(true);
        });

        it("reports an app deleted outside Pulumi as gone", async () => {
            const outs = await create(workerInputs(emulator()));
            await client(emulator()).deleteApp("celery");
            expect(await provider.read("celery", outs)).to.deep.equal({});
        });

        it("reads back the serviceUpdateOverride, so a change made outside Pulumi shows as drift", async () => {
            const inputs = workerInputs(emulator(), { serviceUpdateOverride: BEAT_OVERRIDE });
            const outs = await create(inputs);
            expect(emulator().app("celery")!.serviceUpdateOverride).to.equal(BEAT_OVERRIDE);
            expect(outs.serviceUpdateOverride).to.equal(BEAT_OVERRIDE);
            const c = client(emulator());
            await c.updateApp((await c.getApp("celery"))!, { serviceUpdateOverride: '{"UpdateConfig":{"Order":"start-first"}}' });
            const read = await provider.read("celery", outs);
            expect(read.props!.serviceUpdateOverride).to.equal('{"UpdateConfig":{"Order":"start-first"}}');
            expect(await provider.diff("celery", read.props!, inputs)).to.deep.include({ changes: true, replaces: [] });
            await provider.update("celery", read.props!, inputs);
            expect(emulator().app("celery")!.serviceUpdateOverride).to.equal(BEAT_OVERRIDE);
        });

        it("round-trips: read right after create equals the create outputs", async () => {
            const outs = await create(webInputs(emulator()));
            expect((await provider.read("web", outs)).props).to.deep.equal(outs);
            expect((await provider.diff("web", outs, webInputs(emulator()))).changes).to.equal(false);
        });
    });

    describe("update", () => {
        it("changes the definition without redeploying when the image is the same", async () => {
            const outs = await create(webInputs(emulator()));
            const versions = emulator().app("web")!.versions.length;
            const news = webInputs(emulator(), { instanceCount: 2, envVars: { DEBUG: "1" } });
            const updated = (await provider.update("web", outs, news)).outs!;
            expect(updated).to.include({ instanceCount: 2, deployedImage: image("a") });
            expect(emulator().app("web")!.versions).to.have.length(versions);
            expect(emulator().app("web")!.envVars).to.deep.equal([{ key: "DEBUG", value: "1" }]);
            // The restarted image still names its release (the pre-deploy function), not a new one.
            expect(emulator().currentEnv("web")).to.deep.equal({ DEBUG: "1", SITE_RELEASE: releaseOf(image("a")) });
            expect(requests("/user/apps/appData/web").filter((r) => r.method === "POST")).to.have.length(1);
        });

        it("redeploys only for a new image, and keeps the deploy token", async () => {
            const outs = await create(webInputs(emulator()));
            const updated = (await provider.update("web", outs, webInputs(emulator(), { image: image("b") }))).outs!;
            expect(updated.deployedImage).to.equal(image("b"));
            expect(emulator().servingImage("web")).to.equal(image("b"));
            expect(updated.deployToken).to.equal(outs.deployToken);
            // The create wrote the definition once; nothing else changed, so the update is the deploy
            // alone, one service update carrying the image and the release naming it.
            expect(requests("/user/apps/appDefinitions/update")).to.have.length(1);
            expect(emulator().currentEnv("web")?.SITE_RELEASE).to.equal(releaseOf(image("b")));
        });

        it("sends a changed serviceUpdateOverride without redeploying (CapRover applies it to the service itself)", async () => {
            const outs = await create(workerInputs(emulator()));
            const versions = emulator().app("celery")!.versions.length;
            expect((await provider.diff("celery", outs, workerInputs(emulator(), { serviceUpdateOverride: BEAT_OVERRIDE }))).changes).to.equal(true);
            const updated = (await provider.update("celery", outs, workerInputs(emulator(), { serviceUpdateOverride: BEAT_OVERRIDE }))).outs!;
            expect(updated.serviceUpdateOverride).to.equal(BEAT_OVERRIDE);
            expect(emulator().app("celery")!.serviceUpdateOverride).to.equal(BEAT_OVERRIDE);
            expect(emulator().app("celery")!.versions).to.have.length(versions);
        });

        it("keeps fields it does not manage (set in the dashboard) when it updates", async () => {
            const outs = await create(workerInputs(emulator()));
            const c = client(emulator());
            await c.updateApp((await c.getApp("celery"))!, { nodeId: "worker-node", tags: [{ tagName: "ops" }], redirectDomain: "celery.example.org" });
            await provider.update("celery", outs, workerInputs(emulator(), { instanceCount: 4 }));
            expect(emulator().app("celery")).to.deep.include({ instanceCount: 4, nodeId: "worker-node", redirectDomain: "celery.example.org", tags: [{ tagName: "ops" }, { tagName: "pulumi-site-test" }] });
        });

        describe("the pre-deploy function (the release variable)", () => {
            const USERS = "var preDeployFunction = function (captainAppObj, dockerUpdateObject) { return Promise.resolve(dockerUpdateObject); };";

            it("an app with a pre-deploy function of someone else's is refused, naming it and the way out, and nothing is changed", async () => {
                const outs = await create(workerInputs(emulator()));
                const c = client(emulator());
                await c.updateApp((await c.getApp("celery"))!, { preDeployFunction: USERS });
                const writes = requests("/user/apps/appDefinitions/update").length;
                const e = await failure(() => provider.update("celery", outs, workerInputs(emulator(), { instanceCount: 2, image: image("d", "ghcr.io/example/site-celery") })));
                expect(e.message).to.include("update of CapRover app celery on 127.0.0.1:");
                expect(e.message).to.include("app celery has a pre-deploy function of its own").and.include("the release variable SITE_RELEASE").and.include('releaseEnvVar ""');
                expect(requests("/user/apps/appDefinitions/update")).to.have.length(writes);
                expect(requests("/user/apps/appData/celery").filter((r) => r.method === "POST")).to.have.length(1);
                expect(emulator().app("celery")).to.include({ preDeployFunction: USERS, instanceCount: 1 });
            });

            it("without a release variable, the provider's function is taken out and anyone else's is kept", async () => {
                const outs = await create(workerInputs(emulator()));
                const plain = workerInputs(emulator(), { releaseEnvVar: "" });
                const cleared = (await provider.update("celery", outs, plain)).outs!;
                expect(emulator().app("celery")!.preDeployFunction).to.equal("");
                expect(emulator().currentEnv("celery")).to.not.have.property("SITE_RELEASE");
                const c = client(emulator());
                await c.updateApp((await c.getApp("celery"))!, { preDeployFunction: USERS });
                await provider.update("celery", cleared, workerInputs(emulator(), { releaseEnvVar: "", instanceCount: 2 }));
                expect(emulator().app("celery")).to.include({ preDeployFunction: USERS, instanceCount: 2 });
            });

            it("a definition written before the function (the release among its env vars) is brought over: the variable leaves the definition, the function names the release", async () => {
                const outs = await create(workerInputs(emulator()));
                const c = client(emulator());
                const running = releaseOf(image("c", "ghcr.io/example/site-celery"));
                await c.updateApp((await c.getApp("celery"))!, { preDeployFunction: "", envVars: [...emulator().app("celery")!.envVars, { key: "SITE_RELEASE", value: running }] });
                expect((await provider.read("celery", outs)).props!.envVars).to.deep.equal(outs.envVars);
                await provider.update("celery", outs, workerInputs(emulator(), { image: image("d", "ghcr.io/example/site-celery") }));
                expect(emulator().app("celery")!.envVars.map((e) => e.key)).to.deep.equal(["DEBUG", "DJANGO_SECRET_KEY"]);
                expect(emulator().currentEnv("celery")?.SITE_RELEASE).to.equal(releaseOf(image("d", "ghcr.io/example/site-celery")));
            });
        });

        it("fails a deploy that CapRover fails, with the build log's tail, and the previous version keeps serving", async () => {
            const outs = await create(webInputs(emulator()));
            emulator().failDeploysOf(image("e"));
            const e = await failure(() => provider.update("web", outs, webInputs(emulator(), { image: image("e") })));
            expect(e.message).to.include("update of CapRover app web on 127.0.0.1:");
            expect(e.message).to.include("the deploy failed; the previous version keeps serving.");
            expect(e.message).to.include("last lines of CapRover's build log:");
            expect(e.message).to.include(`Pulling image ${image("e")}`);
            expect(emulator().servingImage("web")).to.equal(image("a"));
            expect((await provider.read("web", outs)).props!.deployedImage).to.equal(image("a"));
        });

        it("fails when the new image never answers its health path 2xx within the deploy timeout", async () => {
            const outs = await create(webInputs(emulator()));
            emulator().options.unhealthyImages.push(image("9"));
            const probesOfNew = () => emulator().answers("web").filter((a) => a.image === image("9")).length;
            // The deadline passes once the new image has answered a probe 503; no probe of it may follow.
            clock.freeze();
            let probesAtDeadline = -1;
            void whenRequest(emulator(), probeOf("web", "/health/", "http 503")).then(() => {
                clock.advance(DEADLINE_MS);
                probesAtDeadline = probesOfNew();
            });
            const e = await failure(() => provider.update("web", outs, webInputs(emulator(), { image: image("9"), deployTimeoutMs: DEADLINE_MS })));
            expect(probesOfNew(), "no probe of the new image after the deadline passed").to.equal(probesAtDeadline);
            expect(e.message).to.match(new RegExp(`health check GET /health/ did not answer 2xx from release sha256:9{64} within the deploy timeout of ${DEADLINE_MS} ms \\(last: HTTP 503\\)`));
            expect(e.message).to.include("Deployed successfully!");
        });

        it("waits while the new container starts (502 with stop-first), then passes once it answers 2xx", async () => {
            const outs = await create(webInputs(emulator()));
            emulator().options.startMs = 60;
            // The new container comes up when the clock moves: once the gate has found it down.
            clock.freeze();
            void whenRequest(emulator(), probeOf("web", "/health/", "http 502")).then(() => clock.advance(60));
            const override = JSON.stringify({ UpdateConfig: { Order: "stop-first" } });
            await provider.update("web", outs, webInputs(emulator(), { image: image("b"), serviceUpdateOverride: override }));
            const outcomes = emulator().requests.filter((r) => r.path === "app web/health/").map((r) => r.outcome);
            expect(outcomes).to.include("http 502");
            expect(outcomes[outcomes.length - 1]).to.equal("http 200");
        });

        it("start-first: the old container's 2xx does not pass the gate; it waits for the new release to answer", async () => {
            const outs = await create(webInputs(emulator()));
            emulator().options.startMs = 300;
            // The new container comes up when the clock moves: once the old release has answered the gate.
            clock.freeze();
            void whenRequest(emulator(), probeOf("web", "/health/", "http 200")).then(() => clock.advance(300));
            const seen = emulator().requests.length;
            const updated = (await provider.update("web", outs, webInputs(emulator(), { image: image("b") }))).outs!;
            expect(emulator().servingImage("web"), "serving when the gate passed").to.equal(image("b"));
            expect(updated.image).to.equal(image("b"));
            const outcomes = emulator().requests.slice(seen).filter((r) => r.path === "app web/health/").map((r) => r.outcome);
            // The old release answered 200 while the new one started, and did not count.
            expect(outcomes.length).to.be.greaterThan(1);
            expect(outcomes.every((o) => o === "http 200")).to.equal(true);
        });

        it("fails when the old release keeps answering (the new one never comes up), naming both releases", async () => {
            const outs = await create(webInputs(emulator()));
            emulator().options.startMs = NEVER_MS;
            // The deadline passes once the old release has answered the gate.
            clock.freeze();
            void whenRequest(emulator(), probeOf("web", "/health/", "http 200")).then(() => clock.advance(DEADLINE_MS));
            const e = await failure(() => provider.update("web", outs, webInputs(emulator(), { image: image("b"), deployTimeoutMs: DEADLINE_MS })));
            expect(e.message).to.include(`from release ${releaseOf(image("a"))}, not ${releaseOf(image("b"))} (the previous deployment still answers)`);
        });

        it("a worker is ready only when its logs show the new release's ready line; a crashing one fails with its log tail", async () => {
            const outs = await create(workerInputs(emulator()));
            expect(emulator().requests.filter((r) => r.path === "/user/apps/appData/celery/logs").length).to.be.greaterThan(0);
            emulator().options.unhealthyImages.push(image("8"));
            // The deadline passes once the gate has read the new worker's logs.
            clock.freeze();
            void afterDeploy("celery", logsOf("celery")).then(() => clock.advance(DEADLINE_MS));
            const e = await failure(() => provider.update("celery", outs, workerInputs(emulator(), { image: image("8"), deployTimeoutMs: DEADLINE_MS })));
            expect(e.message).to.include(`the new release never logged "SITE_RELEASE=${releaseOf(image("8"))} ready" within the deploy timeout of ${DEADLINE_MS} ms`);
            expect(e.message).to.include("ImportError: emulated start-up failure");
        });

        it("a crashing worker whose stopped containers were pruned before the last read still fails with the lines it logged, not as one that never started", async () => {
            const outs = await create(workerInputs(emulator()));
            const crashing = image("9", "ghcr.io/example/site-celery");
            emulator().options.unhealthyImages.push(crashing);
            // Once the gate has read the crash, CapRover prunes the stopped containers (5 s after any
            // service update): the next read, the last before the deadline, shows none of their lines.
            clock.freeze();
            void afterDeploy("celery", logsOf("celery"))
                .then(() => emulator().options.unstartableImages.push(crashing))
                .then(() => clock.advance(1000))
                .then(() => whenRequest(emulator(), logsOf("celery")))
                .then(() => clock.advance(DEADLINE_MS));
            const e = await failure(() => provider.update("celery", outs, workerInputs(emulator(), { image: crashing, deployTimeoutMs: DEADLINE_MS })));
            expect(e.message, e.message).to.include(`the new release never logged "SITE_RELEASE=${releaseOf(crashing)} ready"`).and.include("ImportError: emulated start-up failure");
            expect(e.message).to.not.include("no log line at all");
        });

        it("never overlaps two updates of a stop-first service: with a definition change, the deploy waits until the task that change restarted is up", async () => {
            const beat = (c: string, more: Partial<AppInputs> = {}) => workerInputs(emulator(), { appName: "beat", image: image(c, "ghcr.io/example/site-beat"), serviceUpdateOverride: BEAT_OVERRIDE, ...more });
            const outs = await create(beat("1"));
            emulator().options.startMs = 500;
            // Each new task comes up when the clock moves: once the logs were read twice after the
            // definition change (the restarted task, not up: without the wait, the deploy comes between
            // the two reads), then after the deploy (the deploy's task).
            clock.freeze();
            void whenRequest(emulator(), (r) => r.path === "/user/apps/appDefinitions/update")
                .then(() => whenRequest(emulator(), logsOf("beat")))
                .then(() => whenRequest(emulator(), logsOf("beat")))
                .then(() => clock.advance(500))
                .then(() => afterDeploy("beat", logsOf("beat")))
                .then(() => clock.advance(500));
            await provider.update("beat", outs, beat("2", { envVars: { DEBUG: "1" } }));
            expect(emulator().overlaps("beat"), "two beat containers at once").to.deep.equal([]);
            expect(lines.some((l) => l.includes(`beat: logged SITE_RELEASE=${releaseOf(image("1", "ghcr.io/example/site-beat"))} ready`))).to.equal(true);
            expect(emulator().servingImage("beat")).to.equal(image("2", "ghcr.io/example/site-beat"));
            expect(emulator().currentEnv("beat")).to.include({ DEBUG: "1", SITE_RELEASE: releaseOf(image("2", "ghcr.io/example/site-beat")) });
        });

        it("a definition change the running image does not come up with: the deploy goes ahead after half the deploy timeout, saying so, and the new image passes its gate", async () => {
            const outs = await create(workerInputs(emulator()));
            const old = image("c", "ghcr.io/example/site-celery");
            const fixed = image("d", "ghcr.io/example/site-celery");
            // The old image crashes with the new definition (as an env var only the new image reads would make it).
            emulator().options.unhealthyImages.push(old);
            clock.freeze();
            void whenRequest(emulator(), (r) => r.path === "/user/apps/appDefinitions/update")
                .then(() => whenRequest(emulator(), logsOf("celery")))
                .then(() => clock.advance(DEADLINE_MS / 2 + 1));
            const { updated, warnings } = await updateWarned("celery", outs, workerInputs(emulator(), { image: fixed, envVars: { DEBUG: "1" }, deployTimeoutMs: DEADLINE_MS }));
            expect(updated.image).to.equal(fixed);
            expect(warnings).to.deep.equal([`celery: the task the definition change restarted (${old}) did not log ready within half the deploy timeout; deploying ${fixed} anyway, so for a moment two of its tasks may run`]);
            expect(emulator().currentEnv("celery")).to.include({ DEBUG: "1", SITE_RELEASE: releaseOf(fixed) });
        });

        it("CapRover's late service update (it reports the deploy done first) cannot put the previous release back: one update carries the image and its release", async () => {
            const outs = await create(webInputs(emulator()));
            // As on the real server: the build is reported done, then the service is updated with the
            // definition read as the build ended.
            emulator().options.serviceUpdateLagMs = 300;
            const updated = (await provider.update("web", outs, webInputs(emulator(), { image: image("b") }))).outs!;
            expect(updated.image).to.equal(image("b"));
            expect(requests("/user/apps/appDefinitions/update"), "definition changes").to.have.length(1);
            await emulator().serviceUpdated("web");
            expect(emulator().currentEnv("web")?.SITE_RELEASE).to.equal(releaseOf(image("b")));
            expect(emulator().servingImage("web")).to.equal(image("b"));
        });

        it("a worker whose container cannot start (no log line at all) fails saying so, where to look, and the open-file limit a host must allow", async () => {
            const outs = await create(workerInputs(emulator()));
            const stuck = image("6", "ghcr.io/example/site-celery");
            emulator().options.unstartableImages.push(stuck);
            // The deadline passes once the gate has read the logs after the deploy.
            clock.freeze();
            void afterDeploy("celery", logsOf("celery")).then(() => clock.advance(DEADLINE_MS));
            const e = await failure(() => provider.update("celery", outs, workerInputs(emulator(), { image: stuck, deployTimeoutMs: DEADLINE_MS })));
            expect(e.message).to.include(`the new release never logged "SITE_RELEASE=${releaseOf(stuck)} ready" within the deploy timeout of ${DEADLINE_MS} ms`);
            expect(e.message).to.include("no log line at all since the deploy: the container may not have started; look at `docker service ps --no-trunc celery`");
            expect(e.message).to.include("a host must allow the open-file limit the service asks for");
        });

        it("a failed gate rolls back to the previous verified release, checked by the same gate, and says what failed and what runs now", async () => {
            const outs = await create(workerInputs(emulator()));
            const good = image("c", "ghcr.io/example/site-celery");
            const crashing = image("8", "ghcr.io/example/site-celery");
            emulator().options.unhealthyImages.push(crashing);
            // The failed gate's deadline passes once it has read the crashing worker's logs; the
            // rollback's own deadline then lies a whole deploy timeout ahead of the held clock.
            clock.freeze();
            void afterDeploy("celery", logsOf("celery")).then(() => clock.advance(DEADLINE_MS));
            const e = (await failure(() => provider.update("celery", outs, workerInputs(emulator(), { image: crashing, deployTimeoutMs: DEADLINE_MS })))) as PartialFailure;
            expect(e.message).to.include(`the new release never logged "SITE_RELEASE=${releaseOf(crashing)} ready"`).and.include("ImportError: emulated start-up failure");
            expect(e.message).to.include(`Rolled back: celery runs the previous verified release ${good} again, and it passed the same gate`);
            expect(emulator().currentImage("celery")).to.equal(good);
            expect(emulator().currentEnv("celery")?.SITE_RELEASE).to.equal(releaseOf(good));
            expect((e.outs as AppOutputs).image).to.equal(good);
        });

        it("a stack that opts out of rollbacks (rollbackOnFailure false) leaves the failed release running", async () => {
            const outs = await create(workerInputs(emulator()));
            const crashing = image("8", "ghcr.io/example/site-celery");
            emulator().options.unhealthyImages.push(crashing);
            clock.freeze();
            void afterDeploy("celery", logsOf("celery")).then(() => clock.advance(DEADLINE_MS));
            const e = await failure(() => provider.update("celery", outs, workerInputs(emulator(), { image: crashing, deployTimeoutMs: DEADLINE_MS, rollbackOnFailure: false })));
            expect(e.message).to.include("the new image is running but not ready").and.not.include("Rolled back");
            expect(emulator().currentImage("celery")).to.equal(crashing);
        });

        it("a retry of the same release does not pass on the ready line of an earlier container", async () => {
            const outs = await create(workerInputs(emulator()));
            // The new container never comes up; the deadline passes once the gate has read the logs
            // after the deploy (the earlier container's ready line among them).
            emulator().options.startMs = NEVER_MS;
            clock.freeze();
            void afterDeploy("celery", logsOf("celery")).then(() => clock.advance(DEADLINE_MS));
            // State after a failed gate: image "" (unverified), so the next update deploys the same image again.
            const e = await failure(() => provider.update("celery", { ...outs, image: "" }, workerInputs(emulator(), { deployTimeoutMs: DEADLINE_MS })));
            expect(e.message).to.include(`the new release never logged "SITE_RELEASE=${releaseOf(image("c", "ghcr.io/example/site-celery"))} ready"`);
        });

        it("a first deploy waits past the placeholder's 2xx without a release for the new release's answer, with no warning", async () => {
            emulator().options.startMs = 300;
            // The new release comes up when the clock moves: once the placeholder has answered the gate.
            clock.freeze();
            void whenRequest(emulator(), probeOf("web", "/health/")).then(() => clock.advance(300));
            const warnings: string[] = [];
            const { connection: conn, ...news } = webInputs(emulator());
            await appHandler.create({ ...context(conn, "web"), warn: (l: string) => warnings.push(l) }, news);
            expect(emulator().servingImage("web")).to.equal(image("a"));
            expect(emulator().answers("web").map((a) => a.image), "the gate's answers").to.deep.equal([PLACEHOLDER_IMAGE, image("a")]);
            expect(warnings).to.deep.equal([]);
        });

        describe("the health answer's contract (healthReportsRelease)", () => {
            /** The app's answers since `from` (an index into emulator().answers). */
            const answersSince = (from: number) => emulator().answers("web").slice(from);

            it("an answer that names no release (declared false) passes on 3 consecutive 2xx after the deploy, long before its deadline, with no warning", async () => {
                const plain = { healthReportsRelease: false, releaseEnvVar: "" };
                const outs = await create(webInputs(emulator()));
                const from = emulator().answers("web").length;
                const { updated, warnings } = await updateWarned("web", outs, webInputs(emulator(), { ...plain, image: image("b"), deployTimeoutMs: 600_000 }));
                expect(updated.image).to.equal(image("b"));
                expect(updated.gate).to.equal("GET /health/ answers 2xx 3 times in a row, 1 s apart, after CapRover reports the new image deployed (the answer names no release)");
                // By events: exactly the three answers the gate needs, all from the new image.
                expect(answersSince(from).map((a) => [a.status, a.image])).to.deep.equal([200, 200, 200].map((st) => [st, image("b")]));
                expect(warnings).to.deep.equal([]);
            });

            it("with a release variable, one deploy: its task is started naming the release, and the gate's three answers are its own", async () => {
                const outs = await create(webInputs(emulator()));
                emulator().options.unreportingImages.push(image("b"));
                const from = emulator().answers("web").length;
                await provider.update("web", outs, webInputs(emulator(), { image: image("b"), healthReportsRelease: false, deployTimeoutMs: 600_000 }));
                expect(emulator().currentEnv("web")?.SITE_RELEASE).to.equal(releaseOf(image("b")));
                expect(answersSince(from).map((a) => [a.status, a.image])).to.deep.equal([200, 200, 200].map((st) => [st, image("b")]));
            });

            it("the old container's 2xx before the deploy does not count: only answers after CapRover reports the new image do", async () => {
                const stopFirst = JSON.stringify({ UpdateConfig: { Order: "stop-first" } });
                const plain = { healthReportsRelease: false, releaseEnvVar: "", serviceUpdateOverride: stopFirst };
                const outs = await create(webInputs(emulator(), { serviceUpdateOverride: stopFirst }));
                // The deploy takes a while (the old container answers meanwhile); the new one starts slowly.
                emulator().options.deployMs = 300;
                emulator().options.startMs = 400;
                // The new container comes up when the clock moves: once the gate has found it down.
                clock.freeze();
                void whenRequest(emulator(), probeOf("web", "/health/", "http 502")).then(() => clock.advance(400));
                const from = emulator().answers("web").length;
                await provider.update("web", outs, webInputs(emulator(), { ...plain, image: image("b"), deployTimeoutMs: 600_000 }));
                expect(emulator().servingImage("web"), "serving when the gate passed").to.equal(image("b"));
                const seen = answersSince(from);
                expect(seen.filter((a) => a.image === image("a")), "answers of the old container").to.deep.equal([]);
                expect(seen.map((a) => a.status)).to.include(502);
                expect(seen.slice(-3).map((a) => [a.status, a.image])).to.deep.equal([200, 200, 200].map((st) => [st, image("b")]));
            });

            it("fails with the last answer when 3 consecutive 2xx never come", async () => {
                const plain = { healthReportsRelease: false, releaseEnvVar: "" };
                const outs = await create(webInputs(emulator()));
                emulator().options.unhealthyImages.push(image("9"));
                // The deadline passes once the new image has answered the gate 503.
                clock.freeze();
                void whenRequest(emulator(), probeOf("web", "/health/", "http 503")).then(() => clock.advance(DEADLINE_MS));
                const e = await failure(() => provider.update("web", outs, webInputs(emulator(), { ...plain, image: image("9"), deployTimeoutMs: DEADLINE_MS, rollbackOnFailure: false })));
                expect(e.message).to.include(`health check GET /health/ did not answer 2xx 3 times in a row after CapRover reported ${image("9")} deployed within the deploy timeout of ${DEADLINE_MS} ms (last: HTTP 503)`);
            });

            it("an old image no gate proved to name its release (the variable newly on, or an adopted app) answering without one is waited out, not taken for the new image's", async () => {
                emulator().options.unreportingImages.push(image("a"));
                const outs = await create(webInputs(emulator(), { releaseEnvVar: "", healthReportsRelease: false }));
                // The new image starts slowly: start-first, the old one answers the gate meanwhile.
                emulator().options.startMs = 300;
                const updated = (await provider.update("web", outs, webInputs(emulator(), { image: image("b") }))).outs!;
                expect(updated.image).to.equal(image("b"));
                expect(emulator().answers("web").some((a) => a.image === image("a") && a.path === "/health/"), "the old image answered the gate").to.equal(true);
                await client(emulator()).registerApp("handmade", false);
                const c = client(emulator());
                await c.waitForBuild("handmade", "register");
                await c.deployImage("handmade", image("a"));
                await c.waitForBuild("handmade", "deploy");
                const adopted = await create(webInputs(emulator(), { appName: "handmade", image: image("b"), adopt: true }));
                expect(adopted.image).to.equal(image("b"));
            });

            it("an answer declared to name the release that does not fails at once, naming the key, and rolls back", async () => {
                const outs = await create(webInputs(emulator()));
                expect(outs.gate).to.equal('GET /health/ answers 2xx naming the release (JSON field "release" = SITE_RELEASE)');
                emulator().options.unreportingImages.push(image("b"));
                const from = emulator().answers("web").length;
                const e = await failure(() => provider.update("web", outs, webInputs(emulator(), { image: image("b"), deployTimeoutMs: 600_000 })));
                expect(e.message).to.include('health check GET /health/ answered HTTP 200 without a release (no JSON field "release"), but its answer is declared to name it (healthReportsRelease true)');
                expect(e.message).to.include("Either report the environment variable SITE_RELEASE there").and.include("healthReportsRelease false (site:services.web.healthReportsRelease)");
                expect(e.message).to.include(`Rolled back: web runs the previous verified release ${image("a")} again`);
                // At once: one answer of the new release, then the rollback's.
                expect(answersSince(from).filter((a) => a.image === image("b"))).to.have.length(1);
            });

            it("a first deploy fails the same way once the new image answers (JSON without a release), past CapRover's placeholder", async () => {
                emulator().options.unreportingImages.push(image("a"));
                emulator().options.startMs = 200;
                // The new image comes up when the clock moves: once CapRover's placeholder has answered the gate.
                clock.freeze();
                void whenRequest(emulator(), probeOf("web", "/health/")).then(() => clock.advance(200));
                const e = await failure(() => create(webInputs(emulator())));
                expect(e.message).to.include("answered HTTP 200 without a release").and.include("site:services.web.healthReportsRelease");
                expect(emulator().answers("web").map((a) => a.image), "the gate's answers").to.deep.equal([PLACEHOLDER_IMAGE, image("a")]);
            });

            it("check sets the gate from the contract; a worker's is its ready line, an app without either has none", async () => {
                const gate = async (o: Partial<AppInputs>) => (await provider.check({}, { ...webInputs(emulator()), ...o, gate: "anything" })).inputs.gate;
                expect(await gate({})).to.equal('GET /health/ answers 2xx naming the release (JSON field "release" = SITE_RELEASE)');
                expect(await gate({ healthPath: "/healthcheck", healthReportsRelease: false })).to.match(/^GET \/healthcheck answers 2xx 3 times in a row/);
                expect(await gate({ exposeAsWebApp: false, healthPath: undefined })).to.equal('logs "SITE_RELEASE=<release> ready" from a task started by the deploy');
                expect(await gate({ exposeAsWebApp: false, healthPath: undefined, releaseEnvVar: "" })).to.equal("none (CapRover reports the new image deployed)");
                const outs = await create(webInputs(emulator()));
                const changed = await provider.diff("web", outs, (await provider.check({}, webInputs(emulator(), { healthReportsRelease: false }))).inputs);
                expect(changed.changes).to.equal(true);
            });
        });

        it("a deploy Docker refused as 'update out of sequence' is sent again, and passes its gate", async () => {
            const outs = await create(workerInputs(emulator()));
            emulator().outOfSequence();
            const celery = (c: string) => image(c, "ghcr.io/example/site-celery");
            const updated = (await provider.update("celery", outs, workerInputs(emulator(), { image: celery("b") }))).outs!;
            expect(updated.image).to.equal(celery("b"));
            expect(requests("/user/apps/appData/celery").filter((r) => r.method === "POST")).to.have.length(3);
            expect(lines.some((l) => l.includes('Docker refused the service update ("update out of sequence"); deploying') && l.includes("(1/3)"))).to.equal(true);
        });

        it("'update out of sequence' is retried a bounded number of times, then fails with CapRover's build log", async () => {
            const outs = await create(workerInputs(emulator()));
            emulator().outOfSequence(4);
            // The pauses between the attempts are real; the deadline does not pass (the clock stands still): the bound ends the retries.
            clock.freeze();
            const e = await failure(() => provider.update("celery", outs, workerInputs(emulator(), { image: image("b", "ghcr.io/example/site-celery") })));
            expect(e.message).to.include("the deploy failed").and.include("rpc error: code = Unknown desc = update out of sequence");
        });

        it("an 'update out of sequence' that comes after CapRover reported the deploy done (its late service update) is deployed again too, and the gate passes", async () => {
            const outs = await create(workerInputs(emulator()));
            emulator().options.serviceUpdateLagMs = 200;
            emulator().outOfSequence();
            const celery = (c: string) => image(c, "ghcr.io/example/site-celery");
            const updated = (await provider.update("celery", outs, workerInputs(emulator(), { image: celery("b") }))).outs!;
            expect(updated.image).to.equal(celery("b"));
            expect(requests("/user/apps/appData/celery").filter((r) => r.method === "POST")).to.have.length(3);
            expect(lines.some((l) => l.includes('("update out of sequence") after CapRover reported the deploy done; deploying') && l.includes("(1/3)"))).to.equal(true);
            expect(emulator().currentEnv("celery")?.SITE_RELEASE).to.equal(releaseOf(celery("b")));
        });

        it("a late failure past the retries fails the deploy with CapRover's build log, not the gate at its deadline; the previous version keeps serving", async () => {
            const outs = await create(workerInputs(emulator()));
            emulator().options.serviceUpdateLagMs = 200;
            emulator().outOfSequence(4);
            // The deadline does not pass (the clock stands still): the late failures end the gate.
            clock.freeze();
            const e = await failure(() => provider.update("celery", outs, workerInputs(emulator(), { image: image("b", "ghcr.io/example/site-celery"), deployTimeoutMs: DEADLINE_MS })));
            expect(e.message).to.include("the deploy failed after CapRover had reported it done (its update of the Docker service); the previous version keeps serving");
            expect(e.message).to.include("rpc error: code = Unknown desc = update out of sequence");
            expect(e.message).to.not.include("never logged");
            expect(emulator().currentImage("celery")).to.equal(image("c", "ghcr.io/example/site-celery"));
        });

        it("waits for a slow deploy (CapRover reports building) and fails on the deploy timeout", async () => {
            const outs = await create(workerInputs(emulator()));
            // A build that does not end during the test; the deadline passes once the gate has seen it building.
            emulator().options.deployMs = NEVER_MS;
            clock.freeze();
            void afterDeploy("celery", (r) => r.method === "GET" && r.path === "/user/apps/appData/celery").then(() => clock.advance(DEADLINE_MS));
            const e = await failure(() => provider.update("celery", outs, workerInputs(emulator(), { image: image("d"), deployTimeoutMs: DEADLINE_MS })));
            expect(e.message).to.match(new RegExp(`deploy timeout of ${DEADLINE_MS} ms`)).and.match(/CapRover to report .* running|did not report .* running/);
        });

        it("a status request that hangs ends within the deploy timeout, naming what it waited for", async () => {
            const outs = await create(workerInputs(emulator()));
            emulator().inject({ kind: "hang", times: 100, match: { method: "GET", path: "/user/apps/appData/celery" } });
            // The clock stands still until the status request hangs, then runs: the hanging request's
            // own timeout (the time left) is what must end it. Attempts enough that the deadline, not
            // their number, ends the retries of requests that get only what is left.
            clock.freeze();
            void whenRequest(emulator(), (r) => r.outcome === "fault hang").then(() => clock.resume());
            const conn = { ...connection(emulator()), requestTimeoutMs: 30_000, retry: { ...connection(emulator()).retry!, attempts: 20 } };
            const e = await failure(() => provider.update("celery", outs, workerInputs(emulator(), { image: image("d"), deployTimeoutMs: 700, connection: conn })));
            expect(e.message).to.include(`gave up after the deploy timeout of 700 ms waiting for CapRover to report ${image("d")} running on celery`);
            // Cut by the deadline, not after the request timeout of 30 s.
            const waited = /no answer within (\d+) ms/.exec(e.message);
            expect(waited, e.message).to.not.equal(null);
            expect(Number(waited![1])).to.be.at.most(700);
        });

        it("tells to refresh when the app was deleted outside Pulumi", async () => {
            const outs = await create(workerInputs(emulator()));
            await client(emulator()).deleteApp("celery");
            const e = await failure(() => provider.update("celery", outs, workerInputs(emulator(), { instanceCount: 2 })));
            expect(e.message).to.match(/does not exist .*pulumi refresh/);
        });
    });

    describe("delete", () => {
        const persistent = (overrides: Partial<AppInputs> = {}) =>
            workerInputs(emulator(), { appName: "beat", hasPersistentData: true, volumes: [{ volumeName: "beat-data", containerPath: "/data" }], ...overrides });

        it("deletes the app and keeps its volumes unless asked", async () => {
            const outs = await create(persistent());
            expect(emulator().volumes.has("beat-data")).to.equal(true);
            await provider.delete("beat", outs);
            expect(emulator().apps.has("beat")).to.equal(false);
            expect(emulator().volumes.has("beat-data")).to.equal(true);
        });

        it("deletes the volumes too when deleteVolumes is set", async () => {
            const outs = await create(persistent({ deleteVolumes: true }));
            await provider.delete("beat", outs);
            expect(emulator().volumes.has("beat-data")).to.equal(false);
        });

        it("counts an app that is already gone (1000 could not be found) as deleted", async () => {
            const outs = await create(workerInputs(emulator()));
            await client(emulator()).deleteApp("celery");
            await provider.delete("celery", outs);
            const answer = requests("/user/apps/appDefinitions/delete").map((r) => r.outcome);
            expect(answer).to.deep.equal(["100", "1000"]);
            expect(lines.some((l) => l.includes("already gone; counted as deleted"))).to.equal(true);
        });
    });

    describe("diff", () => {
        let outs: AppOutputs;
        beforeEach(async () => (outs = await create(webInputs(emulator()))));

        it("replaces only on app name or persistent-data changes, and only when allowed", async () => {
            const cases: [Partial<AppInputs>, string[]][] = [
                [{ appName: "web2", allowReplace: true }, ["appName"]],
                [{ hasPersistentData: true, allowReplace: true }, ["hasPersistentData"]],
                [{ image: image("b") }, []],
                [{ instanceCount: 3 }, []],
                [{ envVars: {} }, []],
                [{ forceSsl: false }, []],
                [{ serviceUpdateOverride: '{"StopGracePeriod":1}' }, []],
            ];
            for (const [change, replaces] of cases) {
                const diff = await provider.diff("web", outs, webInputs(emulator(), change));
                expect(diff.changes, JSON.stringify(change)).to.equal(true);
                expect(diff.replaces, JSON.stringify(change)).to.deep.equal(replaces);
            }
        });

        it("refuses a replacement that was not allowed, naming the old and the new app", async () => {
            const e = await failure(() => provider.diff("web", outs, webInputs(emulator(), { appName: "web2" })));
            expect(e.message).to.include("CapRover app web would be replaced by web2 (appName changed)").and.include("site:allowReplace");
            const again = await failure(() => provider.diff("web", outs, webInputs(emulator(), { hasPersistentData: true })));
            expect(again.message).to.include("CapRover app web would be replaced by web (hasPersistentData changed)");
        });

        it("deletes before replacing when the name stays (CapRover names are unique)", async () => {
            expect((await provider.diff("web", outs, webInputs(emulator(), { hasPersistentData: true, allowReplace: true }))).deleteBeforeReplace).to.equal(true);
            expect((await provider.diff("web", outs, webInputs(emulator(), { appName: "web2", allowReplace: true }))).deleteBeforeReplace).to.equal(false);
        });

        it("finds no change when inputs match the state", async () => {
            expect(await provider.diff("web", outs, webInputs(emulator()))).to.deep.include({ changes: false, replaces: [] });
        });
    });

    describe("check", () => {
        it("names property and reason of every invalid input, never a secret value", async () => {
            const bad = webInputs(emulator(), {
                appName: "Web_App",
                image: "ghcr.io/example/site-web:latest",
                instanceCount: 2,
                hasPersistentData: true,
                containerHttpPort: 70000,
                envVars: { "1BAD": ENV_SECRET },
                httpAuth: { user: "", password: AUTH_SECRET },
                healthPath: "health",
                serviceUpdateOverride: "[1]",
            });
            const { failures } = await provider.check({} as AppInputs, bad);
            expect(failures!.map((f) => f.property).sort()).to.deep.equal(
                ["appName", "containerHttpPort", "envVars", "healthPath", "httpAuth", "image", "instanceCount", "serviceUpdateOverride"].sort(),
            );
            expectNoSecrets(failures!.map((f) => f.reason), [ENV_SECRET, AUTH_SECRET, PASSWORD]);
        });

        it("fills defaults for omitted inputs", async () => {
            const { inputs, failures } = await provider.check({} as AppInputs, { connection: connection(emulator()), appName: "x", image: image("1") } as AppInputs);
            expect(failures).to.deep.equal([]);
            expect(inputs).to.include({ instanceCount: 1, containerHttpPort: 80, exposeAsWebApp: false, deployTimeoutMs: 600000, deleteVolumes: false, serviceUpdateOverride: "" });
        });

        it("refuses a serviceUpdateOverride that is not a JSON object, as CapRover would", async () => {
            for (const bad of ["{", "[]", "null", '"text"']) {
                const { failures } = await provider.check({} as AppInputs, workerInputs(emulator(), { serviceUpdateOverride: bad }));
                expect(failures!.map((f) => f.property), bad).to.deep.equal(["serviceUpdateOverride"]);
            }
            const { failures } = await provider.check({} as AppInputs, workerInputs(emulator(), { serviceUpdateOverride: "" }));
            expect(failures).to.deep.equal([]);
        });

        it("refuses a release variable that envVars also sets (own keys only: any valid name may be the variable)", async () => {
            const { failures } = await provider.check({} as AppInputs, workerInputs(emulator(), { envVars: { SITE_RELEASE: "x" } }));
            expect(failures!.map((f) => f.property)).to.deep.equal(["releaseEnvVar"]);
            const inherited = await provider.check({} as AppInputs, workerInputs(emulator(), { releaseEnvVar: "constructor", envVars: {} }));
            expect(inherited.failures).to.deep.equal([]);
        });

        it("refuses volumes on an app without persistent data", async () => {
            const { failures } = await provider.check({} as AppInputs, workerInputs(emulator(), { volumes: [{ volumeName: "v", containerPath: "/v" }] }));
            expect(failures!.map((f) => f.property)).to.deep.equal(["volumes"]);
        });
    });

    it("deploys with the app's own deploy token as CI would (x-captain-app-token)", async () => {
        const outs = await create(workerInputs(emulator()));
        await client(emulator()).deployImage("celery", image("7", "ghcr.io/example/site-celery"), outs.deployToken);
        const deploy = requests("/user/apps/appData/celery").filter((r) => r.method === "POST").pop()!;
        expect(deploy.auth).to.equal("app-token");
        // The deploy runs on after its answer: wait until CapRover reports it done.
        while ((await client(emulator()).buildStatus("celery")).isAppBuilding) await sleep(5);
        expect(emulator().servingImage("celery")).to.equal(image("7", "ghcr.io/example/site-celery"));
    });
});
