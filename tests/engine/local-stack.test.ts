/**
 * The `local` stack (Pulumi.local.yaml) through the real Pulumi engine against the CapRover
 * emulator on 127.0.0.1: what mocks cannot show. The CapRover dynamic provider is serialised and
 * run by the engine's dynamic-provider host, secrets go through the passphrase secrets provider
 * into a file state, and the split -> unified -> split flip is the diff the engine computes.
 *
 * One scenario, in order: each step builds on the state the previous one left, so after a failure
 * the remaining steps are skipped rather than reported as further (misleading) failures.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { AppDefinition, CapRoverClient, clearTokenCache, deployedImage } from "../../components/caprover/client";
import { CapRoverEmulator } from "../../emulator/caprover";
import { EngineEvent, PreviewJson, REPO, Workspace, ensureTools } from "../../scripts/engine/driver";
import { changedSteps, differingKeys, filesBelow, shortName, stepOf } from "./events";
import { CLI_TIMEOUT, EMULATOR_PASSWORD, FLOWER_PASSWORD, STACK, configure, inOrder, openLocalStack, operation as operate } from "./localStack";

// TEST-ONLY value: it exists only for this run's emulator and temporary state.
const SECRET_ENV_VALUE = "django-key-test-only-9b41d6";
const stack = ["--stack", STACK];

/** The images the stack file deploys (split), and the unified worker's own image. */
const stackFile = YAML.parse(fs.readFileSync(path.join(REPO, "Pulumi.local.yaml"), "utf8")) as { config: Record<string, unknown> };
const SPLIT_DIGESTS = stackFile.config["site:imageDigests"] as Record<string, string>;
const PREFIX = stackFile.config["site:appNamePrefix"] as string;
const UNIFIED_CELERY = `${SPLIT_DIGESTS.celery.split("@")[0]}@sha256:${"5".repeat(64)}`;
const app = (service: string) => `${PREFIX}${service}`;

describe("engine: the local stack against the CapRover emulator", function () {
    // Generous per step: a first run may still be compiling tools (ensureTools runs in `before`).
    this.timeout(5 * CLI_TIMEOUT);

    let emulator: CapRoverEmulator;
    let ws: Workspace;
    /** Values that must never appear in plaintext in state or output (deploy tokens join as they appear). */
    const secrets = new Set([EMULATOR_PASSWORD, FLOWER_PASSWORD, SECRET_ENV_VALUE]);

    const appNames = () => [...emulator.apps.keys()].sort();
    const def = (service: string): AppDefinition => {
        const d = emulator.app(app(service));
        if (!d) throw new Error(`no app ${app(service)} on the emulator (apps: ${appNames().join(", ")})`);
        return d;
    };
    /** Records every app's deploy token as a secret to look for. */
    const noteTokens = () => {
        for (const name of emulator.apps.keys()) {
            const token = emulator.app(name)?.appDeployTokenConfig?.appDeployToken;
            if (token) secrets.add(token);
        }
    };
    const config = (...args: string[]) => configure(ws, ...args);
    const operation = (args: string[]): Promise<EngineEvent[]> => operate(ws, args);

    before(async function () {
        this.timeout(45 * 60_000);
        await ensureTools();
        ({ emulator, ws } = await openLocalStack());
        // An app setting stored as a secret leaf inside a plain object, and a plain one beside it.
        await config("set", "--secret", "--path", "site:services.web.env.DJANGO_SECRET_KEY", SECRET_ENV_VALUE);
        await config("set", "--path", "site:services.celery.env.CELERY_LOG_LEVEL", "info");
    });

    inOrder(async () => {
        ws?.dispose();
        await emulator?.close();
    });

    it("pulumi up under split creates the four apps, deployed and configured by role", async () => {
        const events = await operation(["up"]);
        expect(changedSteps(events).filter((s) => s.includes("CapRoverApp::"))).to.deep.equal(
            ["web", "celery", "celerybeat", "flower"].map((s) => `create CapRoverApp::${s}`).sort(),
        );
        expect(appNames()).to.deep.equal(["celery", "celerybeat", "flower", "web"].map(app));
        for (const service of ["web", "celery", "celerybeat", "flower"]) {
            expect(deployedImage(def(service)), service).to.equal(SPLIT_DIGESTS[service]);
            expect(def(service).appDeployTokenConfig?.enabled, `${service} deploy token`).to.equal(true);
        }
        expect(def("web").notExposeAsWebApp).to.equal(false);
        expect(def("web").forceSsl).to.equal(true);
        expect(def("web").envVars).to.deep.include({ key: "DJANGO_SECRET_KEY", value: SECRET_ENV_VALUE });
        expect(def("celery").notExposeAsWebApp).to.equal(true);
        expect(def("celery").envVars).to.deep.equal([{ key: "CELERY_LOG_LEVEL", value: "info" }]);
        expect(def("celerybeat").notExposeAsWebApp).to.equal(true);
        expect(def("flower").httpAuth?.user).to.equal("admin");
        noteTokens();
    });

    it("converges: right after up, a refresh and a preview find nothing to change (no perpetual diff)", async () => {
        // What the provider reads back (env values, Flower's hashed password, the token) must
        // compare equal to what the program asks for, or every run would redeploy.
        const refresh = await operation(["refresh"]);
        expect(changedSteps(refresh)).to.deep.equal([]);
        const preview = await ws.json<PreviewJson>(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
        expect(preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${shortName(s.urn)}`)).to.deep.equal([]);
    });

    it("pulumi preview --diff --json of split -> unified: celerybeat and flower apps deleted, celery updated in place, nothing on web", async () => {
        // The flip as an operator makes it: the profile, and the images of the services it runs.
        await config("set", "site:topology", "unified");
        await config("rm", "--path", "site:imageDigests.celerybeat");
        await config("rm", "--path", "site:imageDigests.flower");
        await config("set", "--path", "site:imageDigests.celery", UNIFIED_CELERY);

        const preview = await ws.json<PreviewJson>(["preview", ...stack, "--diff"], { timeoutMs: CLI_TIMEOUT });
        const changes = preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${shortName(s.urn)}`).sort();
        expect(changes).to.deep.equal([
            "delete CapRoverApp::celerybeat",
            "delete CapRoverApp::flower",
            // The two images' components go with their services (they hold no cloud resource).
            "delete ServiceImage::celerybeat",
            "delete ServiceImage::flower",
            "update CapRoverApp::celery",
        ]);
        expect(preview.steps.filter((s) => shortName(s.urn).endsWith("::web") && s.op !== "same")).to.deep.equal([]);
        const celery = preview.steps.find((s) => shortName(s.urn) === "CapRoverApp::celery")!;
        expect(celery.replaceReasons ?? [], "celery replace reasons").to.deep.equal([]);
        // The worker gains beat: a new image and the description naming the new process.
        expect(differingKeys(celery.oldState?.inputs, celery.newState?.inputs)).to.deep.equal(["description", "image"]);
        expect(celery.newState?.inputs?.image).to.equal(UNIFIED_CELERY);
        expect(preview.changeSummary).to.include({ delete: 4, update: 1 });
        expect(preview.changeSummary).not.to.have.any.keys("create", "replace", "create-replacement", "delete-replaced");
    });

    it("pulumi up to unified deletes two apps and redeploys celery in place, leaving web alone", async () => {
        const webBefore = def("web");
        const celeryToken = def("celery").appDeployTokenConfig?.appDeployToken;
        const events = await operation(["up"]);
        expect(changedSteps(events)).to.deep.equal([
            "delete CapRoverApp::celerybeat",
            "delete CapRoverApp::flower",
            "delete ServiceImage::celerybeat",
            "delete ServiceImage::flower",
            "update CapRoverApp::celery",
        ]);
        expect(appNames()).to.deep.equal(["celery", "web"].map(app));
        expect(deployedImage(def("celery"))).to.equal(UNIFIED_CELERY);
        // Same app, not a new one: a re-registered app would have a new deploy token (and CI's secret would go stale).
        expect(def("celery").appDeployTokenConfig?.appDeployToken).to.equal(celeryToken);
        expect(def("celery").description).to.include("--beat");
        expect(def("web")).to.deep.equal(webBefore);
        noteTokens();
    });

    it("pulumi refresh reports an app changed behind Pulumi's back, and the next preview plans to put it back", async () => {
        // An operator scales web in the dashboard: the API's update, with the rest of the definition kept.
        clearTokenCache();
        const operator = new CapRoverClient({ url: emulator.url, password: EMULATOR_PASSWORD });
        await operator.updateApp(def("web"), { instanceCount: 3, description: "scaled by hand" });

        const events = await operation(["refresh"]);
        expect(changedSteps(events)).to.deep.equal(["update CapRoverApp::web"]);
        const web = stepOf(events, "CapRoverApp::web")!;
        expect(differingKeys(web.old?.outputs, web.new?.outputs)).to.deep.equal(["description", "instanceCount"]);
        expect(web.new?.outputs).to.include({ instanceCount: 3, description: "scaled by hand" });

        const preview = await ws.json<PreviewJson>(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
        expect(preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${shortName(s.urn)}`)).to.deep.equal(["update CapRoverApp::web"]);
    });

    it("back to split: pulumi up recreates celerybeat and flower, returns celery to its worker image and undoes the drift", async () => {
        await config("set", "site:topology", "split");
        for (const service of ["celery", "celerybeat", "flower"]) {
            await config("set", "--path", `site:imageDigests.${service}`, SPLIT_DIGESTS[service]);
        }
        const events = await operation(["up"]);
        expect(changedSteps(events)).to.deep.equal([
            "create CapRoverApp::celerybeat",
            "create CapRoverApp::flower",
            "create ServiceImage::celerybeat",
            "create ServiceImage::flower",
            "update CapRoverApp::celery",
            "update CapRoverApp::web",
        ]);
        expect(appNames()).to.deep.equal(["celery", "celerybeat", "flower", "web"].map(app));
        for (const service of ["web", "celery", "celerybeat", "flower"]) expect(deployedImage(def(service)), service).to.equal(SPLIT_DIGESTS[service]);
        expect(def("web").instanceCount).to.equal(1);
        expect(def("web").description).not.to.equal("scaled by hand");
        noteTokens();
    });

    it("pulumi stack export holds every secret encrypted: CapRover password, Flower auth, secret env values, deploy tokens", async () => {
        const exported = (await ws.pulumi(["stack", "export", ...stack], { timeoutMs: CLI_TIMEOUT })).stdout;
        // Stack outputs too (printed without --show-secrets; the transcript scan below covers them).
        const outputs = (await ws.pulumi(["stack", "output", "--json", ...stack], { timeoutMs: CLI_TIMEOUT })).stdout;
        for (const secret of secrets) expect(outputs.includes(secret), `a secret (${secret.length} characters) in the stack outputs`).to.equal(false);
        for (const secret of secrets) expect(exported.includes(secret), `a secret (${secret.length} characters) in plaintext`).to.equal(false);
        // ... and they are there, as ciphertext: each app's connection, env values and token, Flower's auth.
        const deployment = JSON.parse(exported) as { deployment: { resources: { type: string; id?: string; outputs?: Record<string, unknown> }[] } };
        const apps = deployment.deployment.resources.filter((r) => r.type.endsWith(":CapRoverApp"));
        expect(apps.map((a) => a.id).sort()).to.deep.equal(["celery", "celerybeat", "flower", "web"].map(app));
        const encrypted = (v: unknown) => typeof v === "object" && v !== null && typeof (v as Record<string, unknown>).ciphertext === "string";
        for (const a of apps) {
            for (const key of ["connection", "envVars", "deployToken"]) expect(encrypted(a.outputs?.[key]), `${a.id}.${key}`).to.equal(true);
        }
        expect(encrypted(apps.find((a) => a.id === app("flower"))?.outputs?.httpAuth), "flower.httpAuth").to.equal(true);
    });

    it("pulumi destroy leaves the emulator with no app", async () => {
        const events = await operation(["destroy"]);
        expect(changedSteps(events).filter((s) => s.includes("CapRoverApp::"))).to.deep.equal(
            ["celery", "celerybeat", "flower", "web"].map((s) => `delete CapRoverApp::${s}`),
        );
        expect(appNames()).to.deep.equal([]);
    });

    it("no plaintext secret anywhere: state files (history and backups included), stack config copy, CLI output", () => {
        const files = [...filesBelow(ws.state), path.join(ws.project, `Pulumi.${STACK}.yaml`)];
        expect(files.length).to.be.greaterThan(3);
        for (const file of files) {
            const text = fs.readFileSync(file, "utf8");
            for (const secret of secrets) expect(text.includes(secret), `a secret (${secret.length} characters) in ${path.relative(ws.root, file)}`).to.equal(false);
        }
        const output = ws.transcript.join("\n");
        for (const secret of secrets) expect(output.includes(secret), `a secret (${secret.length} characters) in the CLI's output or events`).to.equal(false);
    });

    it("known upstream leak, pinned: plaintext secrets appear at most in the SDK's debug-level RPC trace, and only deploy tokens", () => {
        // @pulumi/pulumi logs every RegisterResource response at debug level with secret outputs in
        // the clear (runtime/resource.js, "RegisterResource RPC finished"): the provider's outputs,
        // i.e. the deploy tokens. Only `--debug`, `-v` and event logs show that level; no state
        // file, stack export, normal log line or event does (tests above).
        const configured = new Set([EMULATOR_PASSWORD, FLOWER_PASSWORD, SECRET_ENV_VALUE]);
        const leaking = ws.debugTranscript.filter((line) => [...secrets].some((s) => line.includes(s)));
        for (const line of leaking) {
            expect(line).to.match(/"message":"RegisterResource RPC finished: /);
            for (const secret of configured) expect(line.includes(secret), `a configured secret (${secret.length} characters) in a debug line`).to.equal(false);
        }
        // Every deploy token seen was looked for: 4 apps, then 2 recreated ones.
        expect(secrets.size).to.equal(configured.size + 6);
    });
});
