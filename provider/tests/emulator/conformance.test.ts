/**
 * Conformance with a client we did not write: the official `caprover` CLI (npm package, a
 * devDependency) drives the emulator. `caprover api` lists, registers, updates (instance count, env
 * vars) and deletes an app; `caprover deploy --imageName` deploys, with the password and with the
 * app's deploy token. A preloaded module sends the CLI's requests for `captain.*` hosts to the
 * emulator's loopback port (the CLI only ever talks to port 80/443 of `captain.<domain>`).
 * Where the CLI and the emulator disagree, the emulator is wrong.
 */
import { expect } from "chai";
import { PASSWORD, client, image, useEmulator, whenRequest } from "../support";
import { CaproverCli } from "../caproverCli";
import { useTestClock } from "../clock";

const SERVER = "http://captain.emulator.test";

describe("official caprover CLI against the emulator", function () {
    // Each CLI run starts a Node process (~0.5 s, many times that on a busy machine): the suite's
    // time limit (.mocharc.json), which only a hang reaches, bounds them.
    const emulator = useEmulator();
    const clock = useTestClock();
    let cli: CaproverCli;
    beforeEach(() => (cli = new CaproverCli(() => emulator().port, SERVER, PASSWORD)));
    afterEach(() => cli.dispose());
    const caprover = (...args: string[]) => cli.run(...args);
    const api = (method: string, apiPath: string, data: unknown) => cli.api(method, apiPath, data);

    it("caprover api: register, update instance count and env vars, list, delete", async () => {
        await api("POST", "/user/apps/appDefinitions/register", { appName: "cli-app", hasPersistentData: false });
        expect(emulator().apps.has("cli-app")).to.equal(true);

        await api("POST", "/user/apps/appDefinitions/update", { appName: "cli-app", instanceCount: 3, envVars: [{ key: "LOG_LEVEL", value: "info" }] });
        const listed = (await api("GET", "/user/apps/appDefinitions", {})) as { appDefinitions: { appName: string; instanceCount: number; envVars: unknown[] }[]; rootDomain: string };
        const app = listed.appDefinitions.find((a) => a.appName === "cli-app")!;
        expect(app.instanceCount).to.equal(3);
        expect(app.envVars).to.deep.equal([{ key: "LOG_LEVEL", value: "info" }]);
        expect(listed.rootDomain).to.equal("emulator.test");

        await api("POST", "/user/apps/appDefinitions/delete", { appName: "cli-app" });
        expect(emulator().apps.has("cli-app")).to.equal(false);
        // The CLI authenticated as it does: /login, then /user/system/info before each call.
        expect(emulator().requests.filter((r) => r.path === "/user/system/info").length).to.equal(4);
    });

    it("caprover api: deleting a missing app reports CapRover's status 1000 'could not be found'", async () => {
        const result = await caprover("api", "-u", SERVER, "-p", PASSWORD, "-t", "/user/apps/appDefinitions/delete", "-m", "POST", "-d", '{"appName":"ghost"}');
        expect(result.code).to.not.equal(0);
        expect(result.output).to.include("Error Code: 1000").and.include("App (ghost) could not be found");
    });

    it("caprover deploy --imageName deploys and follows the build log to the end", async () => {
        await client(emulator()).registerApp("cli-deploy", false);
        const ref = image("e", "ghcr.io/example/site-web");
        const result = await caprover("deploy", "-u", SERVER, "-p", PASSWORD, "-a", "cli-deploy", "-i", ref);
        expect(result.code, result.output).to.equal(0);
        expect(result.output).to.include(`Pulling image ${ref}`).and.include("Deployed successfully cli-deploy");
        expect(emulator().servingImage("cli-deploy")).to.equal(ref);
    });

    it("caprover deploy with the app's deploy token (x-captain-app-token), and a failing image", async () => {
        // Set up with our client (the CLI's register and update are covered above).
        const c = client(emulator());
        await c.registerApp("cli-token", false);
        await c.updateApp((await c.getApp("cli-token"))!, { appDeployTokenConfig: { enabled: true } });
        const token = emulator().app("cli-token")!.appDeployTokenConfig!.appDeployToken!;
        const ref = image("7");
        const byToken = await caprover("deploy", "-u", SERVER, "--appToken", token, "-a", "cli-token", "-i", ref);
        expect(byToken.code, byToken.output).to.equal(0);
        expect(byToken.output).to.include("using app token is in progress");
        const post = emulator().requests.filter((r) => r.path === "/user/apps/appData/cli-token" && r.method === "POST");
        expect(post.map((r) => [r.auth, r.outcome])).to.deep.equal([["app-token", "101"]]);
        // The deploy runs on after the CLI returns ("in progress"): wait until CapRover reports it done.
        while ((await c.buildStatus("cli-token")).isAppBuilding) await new Promise((r) => setTimeout(r, 5));
        expect(emulator().servingImage("cli-token")).to.equal(ref);

        emulator().failDeploysOf(image("f"));
        const failed = await caprover("deploy", "-u", SERVER, "-p", PASSWORD, "-a", "cli-token", "-i", image("f"));
        expect(failed.code).to.not.equal(0);
        expect(failed.output).to.include("pull access denied").and.include("Something bad happened. Cannot deploy cli-token");
        expect(emulator().servingImage("cli-token")).to.equal(ref);
    });

    it("a command CapRover refuses with 429 (another client's change holds its lock) is run again once the lock is free, as the real tier's files need", async () => {
        const c = client(emulator());
        await c.registerApp("cli-busy", false);
        // Another client's change holds the namespace lock until the CLI has been refused once.
        emulator().options.mutationMs = 1234;
        const lock = clock.hold((ms) => ms === 1234);
        const holding = c.updateApp((await c.getApp("cli-busy"))!, { instanceCount: 2 });
        await lock.held();
        emulator().options.mutationMs = 0;
        const refused = whenRequest(emulator(), (r) => r.path === "/user/apps/appData/cli-busy" && r.outcome === "http 429");
        const deploying = caprover("deploy", "-u", SERVER, "-p", PASSWORD, "-a", "cli-busy", "-i", image("b"));
        await refused;
        lock.release();
        await holding;
        const result = await deploying;
        expect(result.code, result.output).to.equal(0);
        const posts = emulator().requests.filter((r) => r.path === "/user/apps/appData/cli-busy" && r.method === "POST").map((r) => r.outcome);
        expect(posts[0]).to.equal("http 429");
        expect(posts.at(-1)).to.equal("101");
    });
});
