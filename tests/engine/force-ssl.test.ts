/**
 * `site:forceSsl` through the real engine against an emulator whose root domain has no certificate,
 * as a CapRover on this machine (REAL-CAPROVER.md): forcing SSL there fails the preview, naming the
 * key, before anything changes on the server; with it off the plan passes (the policy pack lets
 * Flower's basic auth cross plain HTTP only on a loopback server, which this one is).
 */
import { expect } from "chai";
import { clearTokenCache } from "../../provider/src/api/transport";
import type { CapRoverEmulator } from "../../provider/emulator/caprover";
import { PreviewJson, RunResult, Workspace, ensureTools } from "../../scripts/engine/driver";
import { CLI_TIMEOUT, STACK, configure, openLocalStack } from "../../scripts/engine/localStack";
import { errorLines, inOrder } from "./scenario";

const stack = ["--stack", STACK];

describe("engine: site:forceSsl against a CapRover without root SSL (emulator)", function () {
    this.timeout(5 * CLI_TIMEOUT);

    let emulator: CapRoverEmulator;
    let ws: Workspace;
    /** What reached the server besides logins and reads: nothing may, before the plan is accepted. */
    const changes = () => emulator.requests.filter((q) => q.method !== "GET" && q.path !== "/login").map((q) => `${q.method} ${q.path}`);
    const failed = (r: RunResult) => {
        expect(r.code, `${r.stdout}\n${r.stderr}`).to.not.equal(0);
        return errorLines(r).join("\n");
    };

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        ({ emulator, ws } = await openLocalStack({ emulator: { hasRootSsl: false } }));
    });

    inOrder(async () => {
        ws?.dispose();
        await emulator?.close();
        clearTokenCache();
    });

    it("the local stack matches its server: site:forceSsl false, and the split preview plans four apps, none forcing SSL, the policy pack passing", async () => {
        expect((await configure(ws, "get", "site:forceSsl")).stdout.trim()).to.equal("false");
        const preview = await ws.json<PreviewJson>(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
        const apps = preview.steps.filter((s) => s.urn.includes("caprover:index:App::"));
        expect(apps.map((s) => s.op)).to.deep.equal(["create", "create", "create", "create"]);
        for (const s of apps) expect((s.newState?.inputs as { forceSsl?: boolean } | undefined)?.forceSsl, s.urn).to.equal(false);
    });

    it("with site:forceSsl true the preview fails naming the key and what would be accepted, and nothing reached the server but a login and reads (its system info once)", async () => {
        await configure(ws, "set", "site:forceSsl", "true");
        const from = emulator.requests.length;
        const errors = failed(await ws.pulumi(["preview", ...stack], { timeoutMs: CLI_TIMEOUT, allowFailure: true }));
        // The engine stops at the first app whose check fails (web or Flower, whichever it checks first).
        if (process.env.FORCE_SSL_SHOW) console.log(errors);
        expect(errors).to.match(/property forceSsl value \{true\} has a problem: CapRover at 127\.0\.0\.1:\d+ has no SSL certificate for its root domain/);
        expect(errors).to.match(/so it cannot give app local-(web|flower) one \(enablebasedomainssl answers "You have to first enable SSL for your root domain"\)/);
        expect(errors).to.include("set site:forceSsl false (resource input forceSsl false) to serve plain HTTP, or enable SSL on the root domain first");
        expect(errors).not.to.match(/local-celery|undefined/);
        // This preview's reads: the system info once, and the app list at most once (an app's
        // pre-deploy function is checked too, where the engine got to an app with a release variable).
        const reads = emulator.requests.slice(from).filter((q) => q.method === "GET").map((q) => q.path);
        expect(reads.filter((p) => p !== "/user/apps/appDefinitions")).to.deep.equal(["/user/system/info"]);
        expect(reads.filter((p) => p === "/user/apps/appDefinitions").length, "app list reads").to.be.at.most(1);
        expect(changes()).to.deep.equal([]);
    });

    it("pulumi up fails the same way in its preview: no app registered, nothing changed", async () => {
        const errors = failed(await ws.pulumi(["up", ...stack, "--yes"], { timeoutMs: CLI_TIMEOUT, allowFailure: true }));
        expect(errors).to.include("set site:forceSsl false");
        expect(changes()).to.deep.equal([]);
        expect([...emulator.apps.keys()]).to.deep.equal([]);
    });
});
