/**
 * The app repository's deploy trigger: generated for dev and prod under every profile, it sends a
 * commit to this repository only after the app's tests passed on a push to the default branch, and
 * prod owns its token as a repository secret.
 */
import { expect } from "chai";
import { DISPATCH_EVENT, TRIGGER_FILE, deployTriggerWorkflow } from "../../../components/github/deployTrigger";
import { Workflow } from "../../../components/github/workflowModel";
import { Context, runsIf } from "../../support/expressions";
import { everyConfiguration, parseWorkflow, renderedFiles, runGithubSide } from "../../support/github";
import { runStep } from "../../support/shell";
import { CI_ENV, stackConfig } from "../../support/stacks";

const APP = "aaronspindler/aaronspindler.com";
const SHA = "89abcdef0123456789abcdef0123456789abcdef";
const TEST_RUN = `https://github.com/${APP}/actions/runs/4242`;

/** The `workflow_run` event of a completed run of the app's test workflow (a successful push to main unless changed). */
function completed(run: Record<string, unknown> = {}, workflow = "CI/CD Pipeline"): Context {
    return {
        github: {
            repository: APP,
            event: {
                action: "completed",
                repository: { full_name: APP, default_branch: "main" },
                workflow: { name: workflow },
                workflow_run: { name: workflow, conclusion: "success", event: "push", head_branch: "main", head_sha: SHA, html_url: TEST_RUN, head_repository: { full_name: APP }, ...run },
            },
        },
    };
}

/** Whether GitHub starts the trigger for the event (its filters) and then runs the dispatch job (its condition). */
function dispatches(trigger: Workflow, context: Context): boolean {
    const on = trigger.on.workflow_run!;
    const run = (context.github as { event: { workflow_run: { name: string; head_branch: string } } }).event.workflow_run;
    const started = on.workflows.includes(run.name) && on.types.includes("completed") && (on.branches ?? [run.head_branch]).includes(run.head_branch);
    return started && runsIf(trigger.jobs.dispatch.if, context);
}

describe("the app repository's deploy trigger", () => {
    const trigger = deployTriggerWorkflow(stackConfig("prod").githubSide.dispatch);

    it("is committed for dev and prod under every profile, watching the app's test workflow on main", () => {
        const configurations = everyConfiguration();
        expect(configurations).to.have.length(16);
        for (const { label, config } of configurations) {
            const file = renderedFiles(config)[`.github/workflows/${TRIGGER_FILE}`];
            expect(file, label).to.be.a("string");
            const w = parseWorkflow(file);
            expect(w.on, label).to.deep.equal({ workflow_run: { workflows: ["CI/CD Pipeline"], types: ["completed"], branches: ["main"] } });
            expect(w.jobs.dispatch.permissions, label).to.deep.equal({});
            expect(w.jobs.dispatch.if, label).to.equal(trigger.jobs.dispatch.if);
        }
    });

    it("dispatches a successful run of a push to the default branch", () => {
        expect(dispatches(trigger, completed())).to.equal(true);
    });

    it("never dispatches a failed, cancelled or skipped run", () => {
        for (const conclusion of ["failure", "cancelled", "skipped", "timed_out", "action_required", null]) {
            expect(dispatches(trigger, completed({ conclusion })), String(conclusion)).to.equal(false);
        }
    });

    it("never dispatches a pull request's run, even one whose head branch is called main, nor a fork's", () => {
        expect(dispatches(trigger, completed({ event: "pull_request", head_branch: "feature" }))).to.equal(false);
        // The branches filter alone would let this one through.
        expect(dispatches(trigger, completed({ event: "pull_request", head_branch: "main", head_repository: { full_name: "someone/aaronspindler.com" } }))).to.equal(false);
        expect(dispatches(trigger, completed({ event: "pull_request", head_branch: "main" }))).to.equal(false);
        expect(dispatches(trigger, completed({ event: "push", head_branch: "main", head_repository: { full_name: "someone/aaronspindler.com" } }))).to.equal(false);
    });

    it("never dispatches a run on another branch, or of another workflow", () => {
        expect(dispatches(trigger, completed({ head_branch: "release" }))).to.equal(false);
        expect(dispatches(trigger, completed({}, "CodeQL"))).to.equal(false);
        expect(dispatches(trigger, completed({ event: "workflow_dispatch" }))).to.equal(false);
    });

    it("sends this repository the tested commit and its test run, as the event infra.yml listens for", () => {
        const step = trigger.jobs.dispatch.steps[0];
        const run = runStep(step, { ...completed(), secrets: { INFRA_DISPATCH_TOKEN: "test-only-token" } }, { gh: "" });
        expect(run.code, run.stderr).to.equal(0);
        expect(run.calls).to.deep.equal([
            ["gh", "api", "--method", "POST", "repos/aaronspindler/site-deploy/dispatches", "-f", `event_type=${DISPATCH_EVENT}`, "-f", `client_payload[sha]=${SHA}`, "-f", `client_payload[test_run]=${TEST_RUN}`],
        ]);
        // The token reaches gh through the environment, by reference in the file.
        expect(step.env!.GH_TOKEN).to.equal("${{ secrets.INFRA_DISPATCH_TOKEN }}");
    });

    it("follows the configuration: the test workflow's name and this repository's", () => {
        const w = deployTriggerWorkflow(stackConfig("prod", { appTestWorkflow: "Tests", infraRepository: "someone/infra" }).githubSide.dispatch);
        expect(w.on.workflow_run!.workflows).to.deep.equal(["Tests"]);
        expect(dispatches(w, completed({}, "Tests"))).to.equal(true);
        expect(dispatches(w, completed({}, "CI/CD Pipeline"))).to.equal(false);
        expect(w.jobs.dispatch.steps[0].env!.INFRA_REPOSITORY).to.equal("someone/infra");
    });

    it("has its token kept by prod (which commits to main) as a repository secret; dev, on a side branch, keeps none", async () => {
        const prod = (await runGithubSide(stackConfig("prod"))).resources;
        const secret = prod.filter((r) => r.type === "github:index/actionsSecret:ActionsSecret");
        expect(secret.map((r) => [r.name, r.inputs.secretName, r.inputs.value])).to.deep.equal([
            ["infra-dispatch-token", "INFRA_DISPATCH_TOKEN", { secret: CI_ENV.INFRA_DISPATCH_TOKEN }],
        ]);
        const dev = (await runGithubSide(stackConfig("dev"))).resources;
        expect(dev.filter((r) => r.inputs.secretName === "INFRA_DISPATCH_TOKEN")).to.deep.equal([]);
    });
});
