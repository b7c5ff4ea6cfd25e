/**
 * The provider's own handlers (what the engine calls: check, create, read, update, delete, import)
 * against the real CapRover 1.15.3, checked through what CapRover and its Docker say. The image is
 * CapRover's placeholder by digest (pulled through the mirror registry, as the server does at every
 * register), so no build is needed; the site's images are the local-stack test's.
 */
import { expect } from "chai";
import { CapRoverClient, Connection } from "../../provider/src/api/client";
import { clearTokenCache } from "../../provider/src/api/transport";
import { CaproverCli } from "../../provider/tests/caproverCli";
import { TestAppInputs, TestAppOutputs, TestAppProvider, TestRegistryInputs, TestRegistryProvider, failure, registered, webInputs } from "../../provider/tests/support";
import { Builder, ensureBuilder, stopBuilder } from "../../scripts/engine/builder";
import { RealCaprover, RealDocker, adminPort, ensureRealCaprover, stopRealCaprover } from "../../scripts/engine/realCaprover";

const PLACEHOLDER = "caprover/caprover-placeholder-app:latest";

describe("real CapRover: the provider's handlers", function () {
    this.timeout(10 * 60_000);
    let real: RealCaprover;
    let builder: Builder;
    let docker: RealDocker;
    let server: CapRoverClient;
    let placeholder: string;
    const run = `p${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
    const name = (what: string) => `${run}-${what}`;
    const lines: string[] = [];
    const provider = new TestAppProvider({ log: (l) => lines.push(l) });
    const connection = (password = real.password): Connection => ({ url: real.url, password, probeAddress: real.nginx, pollMs: 250 });

    /** A worker-like app running the placeholder: no web exposure, no health path, a deploy token. */
    const inputs = (appName: string, overrides: Partial<TestAppInputs> = {}): TestAppInputs =>
        webInputs(connection(), {
            appName,
            image: placeholder,
            exposeAsWebApp: false,
            forceSsl: false,
            envVars: { SITE_ROLE: "provider-test" },
            description: "provider test",
            healthPath: undefined,
            // No release variable and no health path: the gate is CapRover reporting the image deployed.
            releaseEnvVar: "",
            healthReportsRelease: false,
            deployTimeoutMs: 180_000,
            ...overrides,
        });

    /** check, then create: what the engine does. */
    const create = async (i: TestAppInputs): Promise<TestAppOutputs> => {
        const checked = await provider.check({}, i);
        expect(checked.failures).to.deep.equal([]);
        return (await provider.create(checked.inputs)).outs;
    };
    const env = async (app: string) => (await docker.service(app))?.TaskTemplate.ContainerSpec.Env ?? [];

    before(async function () {
        this.timeout(60 * 60_000);
        real = await ensureRealCaprover();
        builder = await ensureBuilder();
        docker = new RealDocker(real.dockerHost);
        server = new CapRoverClient({ url: real.url, password: real.password });
        // Registering an app makes the server pull its placeholder: then its digest is known.
        await registered(server, name("probe"));
        await server.deleteApp(name("probe"));
        placeholder = (await docker.docker(["image", "inspect", PLACEHOLDER, "--format", "{{index .RepoDigests 0}}"])).trim();
        expect(placeholder).to.match(/^caprover\/caprover-placeholder-app@sha256:[0-9a-f]{64}$/);
    });

    beforeEach(() => (lines.length = 0));
    afterEach(() => clearTokenCache());

    after(async () => {
        if (server) {
            const { appDefinitions } = await server.listApps();
            for (const app of appDefinitions.filter((a) => a.appName.startsWith(`${run}-`))) await server.deleteApp(app.appName).catch(() => undefined);
            // A registry entry a failed test left (its user is this run's), default push or not.
            const { registries, defaultPushRegistryId } = await server.registries();
            for (const entry of registries.filter((r) => r.registryUser === run)) {
                if (entry.id === defaultPushRegistryId) await server.setDefaultPushRegistry("");
                await server.deleteRegistry(entry.id).catch(() => undefined);
            }
        }
        await stopBuilder(builder);
        await stopRealCaprover(real);
    });

    it("create, read, update without a redeploy, delete: each as Docker shows it", async () => {
        const app = name("life");
        const outs = await create(inputs(app));
        expect(outs).to.include({ image: placeholder, deployedImage: placeholder });
        expect((await docker.service(app))?.TaskTemplate.ContainerSpec.Image, "Docker's service").to.match(new RegExp(`${placeholder.split("@")[1]}$`));
        expect(await env(app)).to.include("SITE_ROLE=provider-test");
        expect((await provider.read(app, outs)).props, "read right after create").to.deep.equal(outs);

        const deployed = (await server.getApp(app))!.deployedVersion;
        const updated = (await provider.update(app, outs, inputs(app, { envVars: { SITE_ROLE: "updated" } }))).outs;
        expect(updated.envVars).to.deep.equal({ SITE_ROLE: "updated" });
        expect((await server.getApp(app))!.deployedVersion, "no redeploy for a definition change").to.equal(deployed);
        expect(await env(app)).to.include("SITE_ROLE=updated");

        await provider.delete(app, updated);
        expect(await server.getApp(app), "CapRover's app").to.equal(undefined);
        expect(await provider.read(app, updated), "read of a deleted app").to.deep.equal({});
        // Gone already counts as deleted (CapRover answers 1000 'could not be found').
        await provider.delete(app, updated);
    });

    it("import: an app made by hand is read with inputs the program can adopt, and adoption takes it over without a deploy", async () => {
        const app = name("hand");
        await registered(server, app);
        await server.updateApp((await server.getApp(app))!, { description: "made by hand", envVars: [{ key: "OLD", value: "1" }] });
        await server.deployImage(app, placeholder);
        await server.waitForBuild(app, "POST /user/apps/appData");
        const imported = await provider.read(app, undefined, connection());
        expect(imported.inputs).to.include({ appName: app, image: placeholder, description: "made by hand", exposeAsWebApp: true });

        // Without adopt: CapRover's 1103 and how to take it over; the app is left alone.
        const refused = await failure(() => create(inputs(app)));
        expect(refused.message).to.include(`create of CapRover app ${app} on 127.0.0.1:`).and.include("1103").and.include("site:adoptExistingApps");
        expect((await server.getApp(app))!.description).to.equal("made by hand");

        const deployed = (await server.getApp(app))!.deployedVersion;
        const outs = await create(inputs(app, { adopt: true }));
        expect(outs.description).to.equal("provider test");
        expect((await server.getApp(app))!.deployedVersion, "adoption redeploys nothing").to.equal(deployed);
        expect(lines.some((l) => l.includes(`taking over existing app ${app}`)), lines.join("\n")).to.equal(true);
    });

    it("the deploy token in the outputs deploys with the official CLI (--appToken)", async () => {
        const app = name("token");
        const outs = await create(inputs(app));
        expect(outs.deployToken).to.have.length.greaterThan(20);
        const cli = new CaproverCli(() => adminPort(real), `http://captain.${real.rootDomain}`, "");
        try {
            const before = (await server.getApp(app))!.deployedVersion;
            const r = await cli.run("deploy", "-u", `http://captain.${real.rootDomain}`, "--appToken", outs.deployToken!, "-a", app, "-i", placeholder);
            expect(r.code, r.output).to.equal(0);
            await server.waitForBuild(app, "POST /user/apps/appData");
            expect((await server.getApp(app))!.deployedVersion).to.be.greaterThan(before);
        } finally {
            cli.dispose();
        }
    });

    it("words what CapRover refuses: a wrong password, an app deleted outside Pulumi", async () => {
        const wrong = await failure(() => create({ ...inputs(name("pw")), connection: connection("not-the-password") }));
        expect(wrong.message).to.include(`create of CapRover app ${name("pw")} on 127.0.0.1:`).and.include("Invalid credentials");
        expect(wrong.message).to.not.include("not-the-password");
        expect(await server.getApp(name("pw"))).to.equal(undefined);

        const app = name("gone");
        const outs = await create(inputs(app));
        await server.deleteApp(app);
        const e = await failure(() => provider.update(app, outs, inputs(app, { instanceCount: 2 })));
        expect(e.message).to.match(/does not exist .*pulumi refresh/);
    });

    it("the registry entry: created (CapRover logs in to the registry), read, updated, deleted", async () => {
        const registries = new TestRegistryProvider();
        const entry = (password: string): TestRegistryInputs => ({ connection: connection(), registryDomain: builder.registry, registryUser: run, registryPassword: password, registryImagePrefix: run });
        const created = await registries.create(entry("first-test-only"));
        expect((await server.listRegistries()).map((r) => r.id)).to.include(created.id);
        expect((await registries.read(created.id, created.outs)).props).to.deep.equal(created.outs);
        await registries.update(created.id, created.outs, entry("rotated-test-only"));
        await registries.delete(created.id, created.outs);
        expect((await server.listRegistries()).map((r) => r.id)).to.not.include(created.id);
        expect(await registries.read(created.id, created.outs)).to.deep.equal({});
    });
});
