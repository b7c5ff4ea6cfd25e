/**
 * The CapRoverApp provider against the emulator: create / read / update / delete / diff / check,
 * drift seen by read, health-gated deploys, failed deploys.
 */
import { expect } from "chai";
import { apr1 } from "../../../components/caprover/apr1";
import { AppInputs, AppOutputs, CapRoverAppProvider } from "../../../components/caprover/provider";
import { AUTH_SECRET, ENV_SECRET, PASSWORD, client, connection, expectNoSecrets, failure, image, useEmulator, webInputs, workerInputs } from "../../support/caprover";

/** What a service carrying beat gets: the raised open-file limit, stop-first updates. */
const BEAT_OVERRIDE = JSON.stringify({ TaskTemplate: { ContainerSpec: { Ulimits: [{ Name: "nofile", Soft: 65536, Hard: 65536 }] } }, UpdateConfig: { Order: "stop-first" } });

describe("CapRoverApp provider", () => {
    const emulator = useEmulator();
    const lines: string[] = [];
    const provider = new CapRoverAppProvider({ log: (l) => lines.push(l) });
    beforeEach(() => (lines.length = 0));

    /** check, then create: what the engine does. */
    async function create(inputs: AppInputs): Promise<AppOutputs> {
        const checked = await provider.check({} as AppInputs, inputs);
        expect(checked.failures).to.deep.equal([]);
        const result = await provider.create(checked.inputs!);
        expect(result.id).to.equal(inputs.appName);
        return result.outs!;
    }

    const requests = (path: string) => emulator().requests.filter((r) => r.path === path);

    describe("create", () => {
        it("registers the app, writes its definition, deploys the image and waits for health", async () => {
            const outs = await create(webInputs(emulator()));
            const app = emulator().app("web")!;
            expect(app).to.include({ instanceCount: 1, notExposeAsWebApp: false, forceSsl: true, hasDefaultSubDomainSsl: true, containerHttpPort: 80 });
            expect(app.envVars).to.deep.equal([
                { key: "DEBUG", value: "0" },
                { key: "DJANGO_SECRET_KEY", value: ENV_SECRET },
            ]);
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

        it("fails on an app this stack did not create (1103) and leaves that app alone", async () => {
            await client(emulator()).registerApp("web", false);
            const e = await failure(() => create(webInputs(emulator())));
            expect(e.message).to.match(/already exists .* this stack did not create it \(1103\)/);
            expect(emulator().apps.has("web")).to.equal(true);
            expect(requests("/user/apps/appDefinitions/delete")).to.have.length(0);
        });

        it("rolls back when the first deploy fails, so the next attempt can create it again", async () => {
            emulator().failDeploysOf(image("f"));
            const e = await failure(() => create(webInputs(emulator(), { image: image("f") })));
            expect(e.message).to.match(/the deploy failed/).and.match(/pull access denied/);
            expect(emulator().apps.has("web")).to.equal(false);
            await create(webInputs(emulator()));
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
            expect(requests("/user/apps/appData/web").filter((r) => r.method === "POST")).to.have.length(1);
        });

        it("redeploys only for a new image, and keeps the deploy token", async () => {
            const outs = await create(webInputs(emulator()));
            const updated = (await provider.update("web", outs, webInputs(emulator(), { image: image("b") }))).outs!;
            expect(updated.deployedImage).to.equal(image("b"));
            expect(emulator().servingImage("web")).to.equal(image("b"));
            expect(updated.deployToken).to.equal(outs.deployToken);
            // Nothing else changed, so the definition was not rewritten.
            expect(requests("/user/apps/appDefinitions/update")).to.have.length(1);
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
            await c.updateApp((await c.getApp("celery"))!, { preDeployFunction: "(d) => d", nodeId: "worker-node", tags: [{ tagName: "ops" }] });
            await provider.update("celery", outs, workerInputs(emulator(), { instanceCount: 4 }));
            expect(emulator().app("celery")).to.deep.include({ instanceCount: 4, preDeployFunction: "(d) => d", nodeId: "worker-node", tags: [{ tagName: "ops" }] });
        });

        it("fails a deploy that CapRover fails, with the build log's tail, and the previous version keeps serving", async () => {
            const outs = await create(webInputs(emulator()));
            emulator().failDeploysOf(image("e"));
            const e = await failure(() => provider.update("web", outs, webInputs(emulator(), { image: image("e") })));
            expect(e.message).to.include("CapRover app web: the deploy failed; the previous version keeps serving.");
            expect(e.message).to.include("last lines of CapRover's build log:");
            expect(e.message).to.include(`Pulling image ${image("e")}`);
            expect(emulator().servingImage("web")).to.equal(image("a"));
            expect((await provider.read("web", outs)).props!.deployedImage).to.equal(image("a"));
        });

        it("fails when the new image never answers its health path 2xx within the deploy timeout", async () => {
            const outs = await create(webInputs(emulator()));
            emulator().options.unhealthyImages.push(image("9"));
            const started = Date.now();
            const e = await failure(() => provider.update("web", outs, webInputs(emulator(), { image: image("9"), deployTimeoutMs: 150 })));
            expect(Date.now() - started).to.be.below(1500);
            expect(e.message).to.match(/health check GET \/health\/ did not answer 2xx within 150 ms \(last: HTTP 503\)/);
            expect(e.message).to.include("Deployed successfully!");
        });

        it("waits while the new container starts (502), then passes once it answers 2xx", async () => {
            const outs = await create(webInputs(emulator()));
            emulator().options.startMs = 60;
            await provider.update("web", outs, webInputs(emulator(), { image: image("b") }));
            const outcomes = emulator().requests.filter((r) => r.path === "app web/health/").map((r) => r.outcome);
            expect(outcomes).to.include("http 502");
            expect(outcomes[outcomes.length - 1]).to.equal("http 200");
        });

        it("waits for a slow deploy (CapRover reports building) and fails on the deploy timeout", async () => {
            const outs = await create(workerInputs(emulator()));
            emulator().options.deployMs = 400;
            const e = await failure(() => provider.update("celery", outs, workerInputs(emulator(), { image: image("d"), deployTimeoutMs: 100 })));
            expect(e.message).to.match(/did not report .* running within 100 ms/);
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

        it("replaces only on app name or persistent-data changes", async () => {
            const cases: [Partial<AppInputs>, string[]][] = [
                [{ appName: "web2" }, ["appName"]],
                [{ hasPersistentData: true }, ["hasPersistentData"]],
                [{ image: image("b") }, []],
                [{ instanceCount: 3 }, []],
                [{ envVars: {} }, []],
                [{ forceSsl: false }, []],
                [{ connection: { ...connection(emulator()), url: "http://127.0.0.1:1" } }, []],
            ];
            for (const [change, replaces] of cases) {
                const diff = await provider.diff("web", outs, webInputs(emulator(), change));
                expect(diff.changes, JSON.stringify(change)).to.equal(true);
                expect(diff.replaces, JSON.stringify(change)).to.deep.equal(replaces);
            }
        });

        it("deletes before replacing when the name stays (CapRover names are unique)", async () => {
            expect((await provider.diff("web", outs, webInputs(emulator(), { hasPersistentData: true }))).deleteBeforeReplace).to.equal(true);
            expect((await provider.diff("web", outs, webInputs(emulator(), { appName: "web2" }))).deleteBeforeReplace).to.equal(false);
        });

        it("finds no change when a preview has no credentials (connection unknown)", async () => {
            const unknownConnection = { connection: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" as unknown as ReturnType<typeof connection> };
            expect(await provider.diff("web", outs, webInputs(emulator(), unknownConnection))).to.deep.include({ changes: false, replaces: [] });
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
                connection: { ...connection(emulator()), url: "captain.example.com" },
            });
            const { failures } = await provider.check({} as AppInputs, bad);
            expect(failures!.map((f) => f.property).sort()).to.deep.equal(
                ["appName", "connection", "containerHttpPort", "envVars", "healthPath", "httpAuth", "image", "instanceCount"].sort(),
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
        await new Promise((r) => setTimeout(r, 20));
        expect(emulator().servingImage("celery")).to.equal(image("7", "ghcr.io/example/site-celery"));
    });
});
