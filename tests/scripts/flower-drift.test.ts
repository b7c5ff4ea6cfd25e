/**
 * flower.yml (Flower on demand, its close job and hourly sweep) and drift.yml (the scheduled drift
 * check of prod). Their scripts run here with a stand-in `pulumi` that serves the outputs of a real
 * (mocked) run of prod; the configuration they set is then given to the program, so the tests show
 * for prod under every profile what each run would plan: opening adds exactly Flower, closing is
 * the exact inverse, and a held run (the drift check) plans nothing, never dev's newer images.
 */
import { expect } from "chai";
import { cronProblem } from "../../config/github";
import { ON_DEMAND_MAX_MINUTES } from "../../config/onDemand";
import { RawConfig } from "../../config/reader";
import { parseSiteConfig } from "../../config/site";
import { PROFILE_NAMES } from "../../config/topology";
import { Job, Step } from "../../components/github/workflowModel";
import { siteProgram } from "../../stack/site";
import { DRIFT_WORKFLOW_PATH } from "../../scripts/infra-workflow/drift";
import { FLOWER_WORKFLOW_PATH } from "../../scripts/infra-workflow/flower";
import { infraWorkflows } from "../../scripts/infra-workflow/write";
import { Context, runsIf } from "../support/expressions";
import { profileOverrides } from "../support/github";
import { Registered, diffResources, referencedStacks, resolve, runProgram, shortUrn } from "../support/mocks";
import { applyConfigSets, pulumiStub } from "../support/pulumiConfig";
import { FLOWER_RESOURCES, devRelease, utcIn } from "../support/onDemand";
import { runStep } from "../support/shell";
import { CI_ENV, stackRaw } from "../support/stacks";

const flower = infraWorkflows()[FLOWER_WORKFLOW_PATH];
const drift = infraWorkflows()[DRIFT_WORKFLOW_PATH];
const step = (job: Job, id: string): Step => job.steps.find((s) => s.id === id || s.name === id) ?? (() => { throw new Error(`no step ${id}`); })();
const hold = (job: Job) => step(job, "Hold the images prod runs");
const carryOver = (job: Job) => step(job, "Carry over prod's services on demand");
const event = (name: string, more: Context = {}): Context => ({ github: { event_name: name, ref: "refs/heads/main" }, ...more });

/** Prod's outputs as `pulumi stack output --json` prints them. */
interface ProdOutputs {
    images: Record<string, string>;
    release: unknown;
    onDemand: { services: string[]; until?: string };
}

/** Runs prod (with GHCR credentials, as in CI) and returns what it registers and what it exports. */
async function prod(raw: RawConfig, now?: Date): Promise<{ resources: Registered[]; outputs: ProdOutputs }> {
    const config = parseSiteConfig("prod", raw, { ...CI_ENV, GITHUB_TOKEN: "test-only-registry-token", now });
    const { resources, outputs } = await runProgram("prod", () => siteProgram(config));
    return { resources, outputs: (await resolve({ images: outputs.images, release: outputs.release, onDemand: outputs.onDemand })) as ProdOutputs };
}

/** The configuration `steps` set when prod's last update exported `outputs`, over `raw`. */
function configAfter(steps: Step[], outputs: ProdOutputs, raw: RawConfig, context: Context = event("schedule")): RawConfig {
    const stub = pulumiStub({ prod: JSON.parse(JSON.stringify(outputs)) });
    const calls = steps.flatMap((s) => {
        const run = runStep(s, context, { pulumi: stub.body }, stub.env);
        expect(run.code, `${s.name}: ${run.stderr}`).to.equal(0);
        return run.calls;
    });
    return applyConfigSets(raw, calls);
}


describe("flower.yml: Open Flower for N minutes, then close it; the sweep", () => {
    const jobs = flower.jobs;

    it("offers N as a bounded choice, at most the program's limit, and sweeps on a valid schedule", () => {
        expect(flower.name).to.equal("Open Flower for N minutes");
        const minutes = flower.on.workflow_dispatch!.inputs!.minutes;
        expect(minutes).to.include({ type: "choice", required: true });
        expect(minutes.options!.map(Number)).to.deep.equal([15, 30, 60, 120, 240]);
        expect(Math.max(...minutes.options!.map(Number))).to.equal(ON_DEMAND_MAX_MINUTES);
        expect(flower.on.schedule!.map((s) => cronProblem(s.cron))).to.deep.equal([undefined]);
    });

    it("opens on a manual run on main, waits, then closes; after a failed open it closes too; a cancelled run leaves it to the sweep", () => {
        const dispatch = (open: string, wait: string, status = "success") =>
            event("workflow_dispatch", { needs: { open: { result: open }, wait: { result: wait }, check: { result: "skipped", outputs: {} } }, status });
        expect(runsIf(jobs.open.if, event("workflow_dispatch"))).to.equal(true);
        expect(runsIf(jobs.open.if, event("schedule"))).to.equal(false);
        expect(runsIf(jobs.wait.if, event("workflow_dispatch"))).to.equal(true);
        expect(runsIf(jobs.check.if, event("workflow_dispatch"))).to.equal(false);
        expect(runsIf(jobs.close.if, dispatch("success", "success"))).to.equal(true);
        expect(runsIf(jobs.close.if, dispatch("failure", "skipped", "failure"))).to.equal(true);
        expect(runsIf(jobs.close.if, dispatch("success", "cancelled", "cancelled"))).to.equal(false);
        expect(jobs.close.needs).to.deep.equal(["open", "wait", "check"]);
    });

    it("sweeps on schedule only what is past its time", () => {
        const scheduled = (due: string) => event("schedule", { needs: { open: { result: "skipped" }, wait: { result: "skipped" }, check: { result: "success", outputs: { due } } } });
        expect(runsIf(jobs.open.if, event("schedule"))).to.equal(false);
        expect(runsIf(jobs.check.if, event("schedule"))).to.equal(true);
        expect(runsIf(jobs.close.if, scheduled("true"))).to.equal(true);
        expect(runsIf(jobs.close.if, scheduled("false"))).to.equal(false);
        const check = step(jobs.check, "due");
        const due = (onDemand: unknown) => {
            const stub = pulumiStub({ prod: { onDemand } });
            return runStep(check, event("schedule"), { pulumi: stub.body }, stub.env).outputs.due;
        };
        const at = utcIn;
        expect(due({ services: ["flower"], until: at(-5) })).to.equal("true");
        expect(due({ services: ["flower"], until: at(30) })).to.equal("false");
        expect(due({ services: [] })).to.equal("false");
        // A time set by hand, to the minute.
        expect(due({ services: ["flower"], until: at(-5).replace(/:\d\dZ$/, "Z") })).to.equal("true");
    });

    it("waits until the expiry (and a little), without holding prod's update group", () => {
        const wait = jobs.wait.steps[0];
        const until = utcIn(10);
        // The step reads the clock somewhere between these two seconds, however long a busy machine takes to start it.
        const before = Math.floor(Date.now() / 1000);
        const run = runStep(wait, { needs: { open: { outputs: { until } } } }, { sleep: "" });
        const after = Math.floor(Date.now() / 1000);
        expect(run.code, run.stderr).to.equal(0);
        expect(run.calls).to.have.length(1);
        // Until the expiry, and 25 to 31 s more.
        const expiry = Date.parse(until) / 1000;
        expect(Number(run.calls[0][1])).to.be.within(expiry - after + 25, expiry - before + 31);
        expect(runStep(wait, { needs: { open: { outputs: { until: "2020-01-01T00:00:00Z" } } } }, { sleep: "" }).calls).to.deep.equal([]);
        expect(jobs.wait.concurrency).to.equal(undefined);
        expect(jobs.wait["timeout-minutes"]).to.be.greaterThan(ON_DEMAND_MAX_MINUTES);
    });

    it("refuses minutes outside 1 to the limit", () => {
        for (const minutes of ["0", "241", "60; true", ""]) {
            const run = runStep(step(jobs.open, "open"), event("workflow_dispatch", { inputs: { minutes } }), { pulumi: pulumiStub({}).body });
            expect(run.code, minutes).to.equal(1);
            expect(run.calls).to.deep.equal([]);
        }
    });
});

describe("Flower on demand and the drift check through the program (prod, every profile)", () => {
    after(() => delete referencedStacks.dev);

    for (const profile of PROFILE_NAMES) {
        it(`${profile}: open adds exactly Flower, the drift check then plans nothing, the close after expiry is the exact inverse`, async () => {
            referencedStacks.dev = { release: await devRelease(profile) };
            const raw = stackRaw("prod", profileOverrides(profile));
            const promoted = await prod(raw);

            // The drift check of the promoted prod: held, it plans nothing.
            const driftSteps = [hold(drift.jobs.drift), carryOver(drift.jobs.drift)];
            expect(diffResources(promoted.resources, (await prod(configAfter(driftSteps, promoted.outputs, raw))).resources), "drift check").to.deep.equal({ removed: [], added: [], changed: {} });

            // Open Flower for 60 minutes.
            const openJob = flower.jobs.open;
            const openSteps = [hold(openJob), carryOver(openJob), step(openJob, "open")];
            const opened = await prod(configAfter(openSteps, promoted.outputs, raw, event("workflow_dispatch", { inputs: { minutes: "60" } })));
            const diff = diffResources(promoted.resources, opened.resources);
            expect(diff.added.map(shortUrn).sort(), "opening").to.deep.equal(profile === "split" ? [] : FLOWER_RESOURCES);
            expect({ removed: diff.removed, changed: diff.changed }).to.deep.equal({ removed: [], changed: {} });
            expect(opened.outputs.onDemand.services).to.deep.equal(["flower"]);

            // While it is open, a drift check (or a promotion's carry-over) keeps it: nothing planned.
            expect(diffResources(opened.resources, (await prod(configAfter(driftSteps, opened.outputs, raw))).resources), "drift check while open").to.deep.equal({ removed: [], added: [], changed: {} });

            // The close job (or the sweep) after the expiry: the program leaves Flower out.
            const closeSteps = [hold(flower.jobs.close), carryOver(flower.jobs.close)];
            const later = new Date(Date.parse(opened.outputs.onDemand.until!) + 60_000);
            const closed = await prod(configAfter(closeSteps, opened.outputs, raw), later);
            expect(diffResources(promoted.resources, closed.resources), "closing is the inverse of opening").to.deep.equal({ removed: [], added: [], changed: {} });
            expect(closed.outputs.onDemand).to.deep.equal({ services: [], until: undefined });
        });
    }

    it("a held run takes none of dev's newer images; an unheld one (a promotion) would", async () => {
        referencedStacks.dev = { release: await devRelease("unified") };
        const raw = stackRaw("prod", { topology: "unified" });
        const promoted = await prod(raw);
        // Dev moves on: a newer commit, a new web image.
        const saved = referencedStacks.dev;
        const newer = JSON.parse(JSON.stringify(saved.release)) as { commitSha: string; images: Record<string, { ref: string }> };
        newer.commitSha = "1111111111111111111111111111111111111111";
        newer.images.web.ref = newer.images.web.ref.replace(/sha256:.*$/, `sha256:${"9".repeat(64)}`);
        referencedStacks.dev = { release: newer };
        try {
            const held = await prod(configAfter([hold(drift.jobs.drift), carryOver(drift.jobs.drift)], promoted.outputs, raw));
            expect(held.outputs.images).to.deep.equal(promoted.outputs.images);
            expect(diffResources(promoted.resources, held.resources).changed).to.deep.equal({});
            const promotion = await prod(raw);
            expect(Object.keys(diffResources(promoted.resources, promotion.resources).changed).map(shortUrn)).to.include("caprover:index:App::web");
        } finally {
            referencedStacks.dev = saved;
        }
    });
});

describe("drift.yml: pulumi preview --refresh --expect-no-changes on prod, on a schedule", () => {
    const job = drift.jobs.drift;
    const compare = step(job, "Compare prod with its Pulumi state");
    const PLAN = "Previewing update (prod):\n  ~ pulumi-nodejs:dynamic/caprover:CapRoverApp web update [diff: ~instanceCount]\nerror: no changes were expected but changes were proposed\n";

    it("runs daily and by hand, writes no state (no update), and holds prod's images and services on demand first", () => {
        expect(drift.on.schedule!.map((s) => cronProblem(s.cron))).to.deep.equal([undefined]);
        expect(Object.keys(drift.on).sort()).to.deep.equal(["schedule", "workflow_dispatch"]);
        expect(job.steps.some((s) => s.with?.command === "up" || /^\s*pulumi (up|refresh|destroy)\b/m.test(s.run ?? ""))).to.equal(false);
        const names = job.steps.map((s) => s.name);
        expect(names.indexOf(hold(job).name)).to.be.lessThan(names.indexOf(compare.name));
        expect(names.indexOf(carryOver(job).name)).to.be.lessThan(names.indexOf(compare.name));
    });

    it("fails loudly with the diff in the job summary when prod drifted", () => {
        const stub = pulumiStub({}, { text: PLAN, code: 255 });
        const run = runStep(compare, event("schedule"), { pulumi: stub.body }, stub.env);
        expect(run.code).to.equal(1);
        expect(run.calls).to.deep.equal([["pulumi", "preview", "--refresh", "--expect-no-changes", "--diff", "--non-interactive", "--policy-pack", "policy/pulumi-analyzer-site", "--stack", "prod"]]);
        expect(run.stdout).to.include("::error title=Drift in prod::");
        expect(run.summary).to.include("## Drift in prod").and.include("```diff\n" + PLAN + "```");
    });

    it("passes quietly when nothing drifted, and says so when the check itself could not run", () => {
        const clean = pulumiStub({}, { text: "Resources:\n    12 unchanged\n", code: 0 });
        const ok = runStep(compare, event("schedule"), { pulumi: clean.body }, clean.env);
        expect(ok.code).to.equal(0);
        expect(ok.summary).to.include("## No drift: prod matches its Pulumi state");
        const broken = pulumiStub({}, { text: "error: failed to decrypt\n", code: 255 });
        const failed = runStep(compare, event("schedule"), { pulumi: broken.body }, broken.env);
        expect(failed.code).to.equal(1);
        expect(failed.stdout).to.include("::error title=Drift check of prod could not run::");
    });
});

