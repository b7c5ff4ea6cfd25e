/**
 * The policy pack (policy/) through the real engine: the CLI starts the compiled pack from its
 * launcher (`--policy-pack policy/pulumi-analyzer-site`, which the Workspace adds to every preview
 * and up), the pack judges the `local` stack's plan, and a mandatory violation fails the preview
 * and stops `up` before anything is deployed. A second, tiny program shows the pack telling a
 * plain credential from a secret one in what the engine really sends.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO, RunResult, Workspace, ensureTools } from "../../scripts/engine/driver";
import { CLI_TIMEOUT, STACK } from "../../scripts/engine/localStack";
import { useLocalStack } from "./scenario";

const output = (r: RunResult) => `${r.stdout}\n${r.stderr}`;
/** The pack's report lines: `[mandatory]  one-celery-beat  (...)`, the description, the message. */
const mandatoryPolicies = (r: RunResult) => [...new Set([...output(r).matchAll(/\[mandatory\]\s+([a-z0-9-]+)/g)].map((m) => m[1]))];

describe("engine: the policy pack on the local stack", function () {
    this.timeout(5 * CLI_TIMEOUT);

    const local = useLocalStack();
    const stack = ["--stack", STACK];
    const config = (...args: string[]) => local.ws.pulumi(["config", ...args, ...stack], { timeoutMs: CLI_TIMEOUT });

    it("the committed local stack passes: the preview runs the pack and no mandatory policy objects", async () => {
        const r = await local.ws.pulumi(["preview", ...stack], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
        expect(r.code, output(r)).to.equal(0);
        expect(r.stdout).to.match(/Policies:\n\s+\S+ site@v0\.1\.0 \(local: .*policy\/pulumi-analyzer-site\)/);
        expect(mandatoryPolicies(r)).to.deep.equal([]);
    });

    it("without Celery beat, the preview fails naming one-celery-beat, and `up` stops before deploying anything", async () => {
        await config("set", "--path", "site:services.celerybeat.off", "true");
        await config("rm", "--path", "site:imageDigests.celerybeat");
        const preview = await local.ws.pulumi(["preview", ...stack], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
        expect(preview.code, output(preview)).to.not.equal(0);
        expect(mandatoryPolicies(preview)).to.deep.equal(["one-celery-beat"]);
        expect(preview.stdout).to.include("no app of stack local runs Celery beat (apps: local-celery, local-flower, local-web): periodic tasks would never run");

        const up = await local.ws.pulumi(["up", ...stack, "--yes"], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
        expect(up.code, output(up)).to.not.equal(0);
        expect(mandatoryPolicies(up)).to.deep.equal(["one-celery-beat"]);
        expect([...local.emulator.apps.keys()]).to.deep.equal([]);
    });
});

describe("engine: the policy pack tells a plain credential from a secret one", function () {
    this.timeout(5 * CLI_TIMEOUT);
    // TEST-ONLY values of a throwaway program.
    const PLAIN = "plain-credential-test-only-51c0";
    const SECRET = "secret-credential-test-only-8d2e";
    let dir: string;
    let ws: Workspace;

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        // A program of one dynamic resource (no plugin to build) with one plain and one secret credential.
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "site-policy-probe-"));
        fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "policy-probe", main: "index.js" }));
        fs.writeFileSync(
            path.join(dir, "index.js"),
            [
                'const pulumi = require("@pulumi/pulumi");',
                "const provider = { async create(inputs) { return { id: 'probe', outs: inputs }; } };",
                `new pulumi.dynamic.Resource(provider, "probe", { registryUser: "probe", registryPassword: ${JSON.stringify(PLAIN)}, apiToken: pulumi.secret(${JSON.stringify(SECRET)}) });`,
            ].join("\n"),
        );
        ws = await Workspace.create({ project: { name: "policy-probe", runtime: "nodejs" }, main: dir });
        await ws.pulumi(["stack", "init", "probe", "--secrets-provider", "passphrase"], { timeoutMs: CLI_TIMEOUT });
    });

    after(() => {
        ws?.dispose();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("fails secrets-are-secret on the plain input only, and shows neither value", async () => {
        const r = await ws.pulumi(["preview", "--stack", "probe"], { timeoutMs: CLI_TIMEOUT, allowFailure: true });
        expect(r.code, output(r)).to.not.equal(0);
        expect(mandatoryPolicies(r)).to.deep.equal(["secrets-are-secret"]);
        expect(r.stdout).to.include("pulumi-nodejs:dynamic:Resource probe: input registryPassword is a plain string; it must be a secret");
        expect(r.stdout).not.to.include("input apiToken");
        expect(output(r)).not.to.include(PLAIN).and.not.to.include(SECRET);
    });
});
