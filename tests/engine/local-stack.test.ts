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
import { CapRoverClient, deployedImage } from "../../provider/src/api/client";
import { clearTokenCache } from "../../provider/src/api/transport";
import type { AppDefinition } from "../../provider/src/api/types";
import { releaseFunction } from "../../provider/src/app/release";
import { CapRoverEmulator } from "../../provider/emulator/caprover";
import { EngineEvent, PreviewJson, REPO, Workspace, ensureTools } from "../../scripts/engine/driver";
import { changedSteps, differingKeys, filesBelow, plannedSteps, shortName, stepOf } from "../../scripts/engine/events";
import { CLI_TIMEOUT, EMULATOR_PASSWORD, FLOWER_PASSWORD, STACK, configure, openLocalStack } from "../../scripts/engine/localStack";
import { inOrder, operation as operate } from "./scenario";

// TEST-ONLY value: it exists only for this run's emulator and temporary state.
const SECRET_ENV_VALUE = "django-key-test-only-9b41d6";
const stack = ["--stack", STACK];

/** The images the stack file pins: one per service, celery's one per target (so the flip is one line). */
const stackFile = YAML.parse(fs.readFileSync(path.join(REPO, "Pulumi.local.yaml"), "utf8")) as { config: Record<string, unknown> };
const PINS = stackFile.config["site:imageDigests"] as Record<string, string | Record<string, string>>;
const CELERY = PINS.celery as Record<string, string>;
const SPLIT_DIGESTS: Record<string, string> = { ...(PINS as Record<string, string>), web: (PINS.web as Record<string, string>)["runtime-full"], celery: CELERY["celery-worker"] };
const UNIFIED_CELERY = CELERY["celery-unified"];
const PREFIX = stackFile.config["site:appNamePrefix"] as string;
const app = (service: string) => `${PREFIX}${service}`;
/** What the emulator stored as an app's serviceUpdateOverride, parsed. */
const OVERRIDE = {
    startFirst: { UpdateConfig: { Order: "start-first" } },
    /** A worker's drain (site:celeryTaskTimeLimit's default, 300 s): the label, the limit plus the margin. */
    worker: { Labels: { "site.celery.task-time-limit": "300" }, TaskTemplate: { ContainerSpec: { StopGracePeriod: 330_000_000_000 } }, UpdateConfig: { Order: "start-first" } },
    beat: { TaskTemplate: { ContainerSpec: { StopGracePeriod: 15_000_000_000 } }, UpdateConfig: { Order: "stop-first" } },
    unified: {
        Labels: { "site.celery.task-time-limit": "300" },
        TaskTemplate: { ContainerSpec: { Ulimits: [{ Name: "nofile", Soft: 65536, Hard: 65536 }], StopGracePeriod: 330_000_000_000 } },
        UpdateConfig: { Order: "stop-first" },
    },
};

describe("engine: the local stack against the CapRover emulator", function () {
    // Generous per step: a first run may still be compiling tools (ensureTools runs in `before`).
    this.timeout(5 * CLI_TIMEOUT);

    let emulator: CapRoverEmulator;
    let ws: Workspace;
    /** Values that must never appear in plaintext in state or output (deploy tokens join as they appear). */
    const secrets = new Set([EMULATOR_PASSWORD, FLOWER_PASSWORD, SECRET_ENV_VALUE]);

    const appNames = () => [...emulator.apps.keys()].sort();
    const override = (service: string) => JSON.parse(def(service).serviceUpdateOverride ?? "") as unknown;
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
        ({ emulator, ws } = await openLocalStack({
            // An app setting stored as a secret leaf inside a plain object, and a plain one beside it.
            config: [
                { key: "site:services.web.env.DJANGO_SECRET_KEY", value: SECRET_ENV_VALUE, secret: true, path: true },
                { key: "site:services.celery.env.CELERY_LOG_LEVEL", value: "info", path: true },
            ],
        }));
    });

    inOrder();

    after(async () => {
        ws?.dispose();
        await emulator?.close();
    });

    it("pulumi up under split creates the four apps, deployed and configured by role", async () => {
        const events = await operation(["up"]);
        expect(changedSteps(events).filter((s) => s.includes("App::"))).to.deep.equal(
            ["web", "celery", "celerybeat", "flower"].map((s) => `create App::${s}`).sort(),
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
        // The configured variables; the release is named by the provider's pre-deploy function in
        // the task each service update starts (the gate's).
        expect(def("celery").envVars).to.deep.equal([
            { key: "CELERY_LOG_LEVEL", value: "info" },
            { key: "CELERY_TASK_TIME_LIMIT", value: "300" },
        ]);
        expect(def("celery").preDeployFunction).to.equal(releaseFunction("SITE_RELEASE"));
        expect(emulator.currentEnv(app("celery"))?.SITE_RELEASE).to.equal(SPLIT_DIGESTS.celery.slice(SPLIT_DIGESTS.celery.indexOf("@") + 1));
        expect(def("celerybeat").notExposeAsWebApp).to.equal(true);
        expect(def("flower").httpAuth?.user).to.equal("admin");
        // Beat never runs twice: its service updates stop-first; the others start-first. The worker and beat drain.
        expect(Object.fromEntries(["web", "celery", "celerybeat", "flower"].map((s) => [s, override(s)]))).to.deep.equal({
            web: OVERRIDE.startFirst,
            celery: OVERRIDE.worker,
            celerybeat: OVERRIDE.beat,
            flower: OVERRIDE.startFirst,
        });
        noteTokens();
        // The program ran as the JavaScript it is (Pulumi.yaml: typescript: false, handed to the
        // host by its launcher): @pulumi/pulumi's harness logs at debug level when it starts ts-node.
        expect(ws.debugTranscript.filter((l) => /Found (ts-node|typescript) version/.test(l)), "ts-node started for the program").to.deep.equal([]);
    });

    it("converges: right after up, a refresh and a preview find nothing to change (no perpetual diff)", async () => {
        // What the provider reads back (env values, Flower's hashed password, the token) must
        // compare equal to what the program asks for, or every run would redeploy.
        const refresh = await operation(["refresh"]);
        expect(changedSteps(refresh)).to.deep.equal([]);
        const preview = await ws.json<PreviewJson>(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
        expect(plannedSteps(preview)).to.deep.equal([]);
    });

    it("pulumi preview --diff shows what each gate checks; declaring web's health answer release-less changes only web's gate, in place", async () => {
        await config("set", "--path", "site:services.web.healthReportsRelease", "false");
        try {
            const preview = await ws.json<PreviewJson>(["preview", ...stack, "--diff"], { timeoutMs: CLI_TIMEOUT });
            expect(plannedSteps(preview)).to.deep.equal(["update App::web"]);
            const web = preview.steps.find((s) => shortName(s.urn) === "App::web")!;
            expect(differingKeys(web.oldState?.inputs, web.newState?.inputs)).to.deep.equal(["gate", "healthReportsRelease", "releaseEnvVar"]);
            expect(web.oldState?.inputs?.gate).to.equal('GET /health/ answers 2xx naming the release (JSON field "release" = SITE_RELEASE)');
            expect(web.newState?.inputs?.gate).to.equal("GET /health/ answers 2xx 3 times in a row, 1 s apart, after CapRover reports the new image deployed (the answer names no release)");
        } finally {
            await config("rm", "--path", "site:services.web.healthReportsRelease");
        }
    });

    it("pulumi preview --diff --json of split -> unified (one line): celerybeat and flower apps deleted, celery updated in place, nothing on web", async () => {
        // The flip as an operator makes it: one line. The stack's pins for beat, Flower and the
        // worker target stay, inactive, and the preview says so once.
        await config("set", "site:topology", "unified");

        const preview = await ws.json<PreviewJson>(["preview", ...stack, "--diff"], { timeoutMs: CLI_TIMEOUT });
        const changes = plannedSteps(preview);
        expect(changes).to.deep.equal([
            "delete App::celerybeat",
            "delete App::flower",
            // The two images' components go with their services (they hold no cloud resource).
            "delete ServiceImage::celerybeat",
            "delete ServiceImage::flower",
            "update App::celery",
            // The canary asks for the unified worker, beat inside it.
            "update Canary::canary",
        ]);
        expect(preview.steps.filter((s) => shortName(s.urn).endsWith("::web") && s.op !== "same")).to.deep.equal([]);
        const canary = preview.steps.find((s) => shortName(s.urn) === "Canary::canary")!;
        expect(differingKeys(canary.oldState?.inputs, canary.newState?.inputs)).to.deep.equal(["beatImage", "workerImage"]);
        const celery = preview.steps.find((s) => shortName(s.urn) === "App::celery")!;
        expect(celery.replaceReasons ?? [], "celery replace reasons").to.deep.equal([]);
        // The worker gains beat: a new image, the description naming the new process, and the override
        // of a container that runs beat (the raised open-file limit, stop-first updates).
        expect(differingKeys(celery.oldState?.inputs, celery.newState?.inputs)).to.deep.equal(["description", "image", "serviceUpdateOverride"]);
        expect(celery.newState?.inputs?.image).to.equal(UNIFIED_CELERY);
        expect(JSON.parse(String(celery.newState?.inputs?.serviceUpdateOverride))).to.deep.equal(OVERRIDE.unified);
        const inactive = (preview.diagnostics ?? []).filter((d) => d.severity === "warning" && d.message.includes("kept and ignored"));
        expect(inactive.map((d) => d.message.trim().replace(/^warning: /, ""))).to.deep.equal([
            'profile "unified" runs web (runtime-full), celery (celery-unified); these settings are for services or targets it does not run, kept and ignored until a profile runs them: ' +
                "site:imageDigests.celery.celery-worker, site:imageDigests.celerybeat, site:imageDigests.flower, site:imageDigests.web.all-in-one",
        ]);
        expect(preview.changeSummary).to.include({ delete: 4, update: 2 });
        expect(preview.changeSummary).not.to.have.any.keys("create", "replace", "create-replacement", "delete-replaced");
    });

    it("pulumi up to unified deletes two apps and redeploys celery in place, leaving web alone", async () => {
        const webBefore = def("web");
        const celeryToken = def("celery").appDeployTokenConfig?.appDeployToken;
        const events = await operation(["up"]);
        expect(changedSteps(events)).to.deep.equal([
            "delete App::celerybeat",
            "delete App::flower",
            "delete ServiceImage::celerybeat",
            "delete ServiceImage::flower",
            "update App::celery",
            // Asked again: its worker (and beat) is celery's new image.
            "update Canary::canary",
        ]);
        expect(appNames()).to.deep.equal(["celery", "web"].map(app));
        expect(deployedImage(def("celery"))).to.equal(UNIFIED_CELERY);
        // Same app, not a new one: a re-registered app would have a new deploy token (and CI's secret would go stale).
        expect(def("celery").appDeployTokenConfig?.appDeployToken).to.equal(celeryToken);
        expect(def("celery").description).to.include("--beat");
        // What CapRover merges over the celery service: nofile 65536/65536, stop-first.
        expect(override("celery")).to.deep.equal(OVERRIDE.unified);
        expect(def("web")).to.deep.equal(webBefore);
        noteTokens();
    });

    it("pulumi refresh reports an app changed behind Pulumi's back, and the next preview plans to put it back", async () => {
        // An operator scales web in the dashboard: the API's update, with the rest of the definition kept.
        clearTokenCache();
        const operator = new CapRoverClient({ url: emulator.url, password: EMULATOR_PASSWORD });
        await operator.updateApp(def("web"), { instanceCount: 3, description: "scaled by hand" });
        // ... and someone lowers celery's open-file limit in its service override.
        await operator.updateApp(def("celery"), { serviceUpdateOverride: "TaskTemplate:\n  ContainerSpec:\n    Ulimits: [{Name: nofile, Soft: 1024, Hard: 1024}]\n" });

        const events = await operation(["refresh"]);
        expect(changedSteps(events)).to.deep.equal(["update App::celery", "update App::web"]);
        const web = stepOf(events, "App::web")!;
        expect(differingKeys(web.old?.outputs, web.new?.outputs)).to.deep.equal(["description", "instanceCount"]);
        expect(web.new?.outputs).to.include({ instanceCount: 3, description: "scaled by hand" });
        const celery = stepOf(events, "App::celery")!;
        expect(differingKeys(celery.old?.outputs, celery.new?.outputs)).to.deep.equal(["serviceUpdateOverride"]);

        const preview = await ws.json<PreviewJson>(["preview", ...stack], { timeoutMs: CLI_TIMEOUT });
        expect(plannedSteps(preview)).to.deep.equal(["update App::celery", "update App::web"]);
    });

    it("back to split (one line): pulumi preview shows the exact way back, pulumi up recreates celerybeat and flower, returns celery to its worker image and undoes the drift", async () => {
        await config("set", "site:topology", "split");
        const preview = await ws.json<PreviewJson>(["preview", ...stack, "--diff"], { timeoutMs: CLI_TIMEOUT });
        // Web too: the drift above is put back.
        const back = [...["celerybeat", "flower"].flatMap((s) => [`create App::${s}`, `create ServiceImage::${s}`]), "update App::celery", "update App::web", "update Canary::canary"].sort();
        expect(plannedSteps(preview)).to.deep.equal(back);
        const celery = preview.steps.find((s) => shortName(s.urn) === "App::celery")!;
        expect(differingKeys(celery.oldState?.inputs, celery.newState?.inputs)).to.deep.equal(["description", "image", "serviceUpdateOverride"]);
        const events = await operation(["up"]);
        expect(changedSteps(events)).to.deep.equal(back);
        expect(appNames()).to.deep.equal(["celery", "celerybeat", "flower", "web"].map(app));
        for (const service of ["web", "celery", "celerybeat", "flower"]) expect(deployedImage(def(service)), service).to.equal(SPLIT_DIGESTS[service]);
        expect(def("web").instanceCount).to.equal(1);
        expect(def("web").description).not.to.equal("scaled by hand");
        expect(override("celery")).to.deep.equal(OVERRIDE.worker);
        expect(override("celerybeat")).to.deep.equal(OVERRIDE.beat);
        noteTokens();
    });

    it("pulumi stack export holds every secret encrypted: the provider's CapRover password, Flower auth, secret env values, deploy tokens", async () => {
        const exported = (await ws.pulumi(["stack", "export", ...stack], { timeoutMs: CLI_TIMEOUT })).stdout;
        // Stack outputs too (printed without --show-secrets; the transcript scan below covers them).
        const outputs = (await ws.pulumi(["stack", "output", "--json", ...stack], { timeoutMs: CLI_TIMEOUT })).stdout;
        for (const secret of secrets) expect(outputs.includes(secret), `a secret (${secret.length} characters) in the stack outputs`).to.equal(false);
        for (const secret of secrets) expect(exported.includes(secret), `a secret (${secret.length} characters) in plaintext`).to.equal(false);
        // ... and they are there, as ciphertext: each app's connection, env values and token, Flower's auth.
        const deployment = JSON.parse(exported) as { deployment: { resources: { type: string; id?: string; outputs?: Record<string, unknown> }[] } };
        const apps = deployment.deployment.resources.filter((r) => r.type === "caprover:index:App");
        expect(apps.map((a) => a.id).sort()).to.deep.equal(["celery", "celerybeat", "flower", "web"].map(app));
        const encrypted = (v: unknown) => typeof v === "object" && v !== null && typeof (v as Record<string, unknown>).ciphertext === "string";
        for (const a of apps) {
            for (const key of ["envVars", "deployToken"]) expect(encrypted(a.outputs?.[key]), `${a.id}.${key}`).to.equal(true);
        }
        // The dashboard password lives in the provider's state only, encrypted.
        const providers = deployment.deployment.resources.filter((r) => r.type === "pulumi:providers:caprover") as { inputs?: Record<string, unknown> }[];
        expect(providers).to.have.length(1);
        expect(encrypted(providers[0].inputs?.password), "provider password").to.equal(true);
        expect(encrypted(apps.find((a) => a.id === app("flower"))?.outputs?.httpAuth), "flower.httpAuth").to.equal(true);
    });

    it("pulumi destroy leaves the emulator with no app", async () => {
        const events = await operation(["destroy"]);
        expect(changedSteps(events).filter((s) => s.includes("App::"))).to.deep.equal(
            ["celery", "celerybeat", "flower", "web"].map((s) => `delete App::${s}`),
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
